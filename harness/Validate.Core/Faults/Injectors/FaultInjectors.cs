namespace Validate.Faults.Injectors;

/// <summary>Every fault kind the harness injects, by the plan's name (fault:kind).</summary>
public static class FaultInjectors
{
    private static readonly Dictionary<string, Func<FaultInjector>> ByKind = new Func<FaultInjector>[]
    {
        () => new KillInHandler(), () => new KillRandom(), () => new KillIdle(), () => new Hang(), () => new Rebind(), () => new Reload(), () => new Revoke(), () => new RevokeInHandler(),
    }.ToDictionary(make => make().Kind);

    public static IReadOnlyCollection<string> Kinds => ByKind.Keys;

    /// <summary>A new injector for one suite (an injector may keep state between the phases of a repetition).</summary>
    public static FaultInjector For(string kind) =>
        ByKind.TryGetValue(kind, out var make) ? make() : throw new ValidateException(ExitCodes.InputError, $"fault kind '{kind}': this harness injects {string.Join(", ", ByKind.Keys)}");
}
