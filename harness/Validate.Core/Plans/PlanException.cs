namespace Validate.Plans;

/// <summary>One mistake in a plan: where (file and key path) and what was expected.</summary>
public sealed record PlanError(string Source, string KeyPath, string Message)
{
    public override string ToString() => KeyPath.Length == 0 ? $"{Source}: {Message}" : $"{Source}: {KeyPath}: {Message}";
}

/// <summary>A plan that cannot run: every mistake found, each one line.</summary>
public sealed class PlanException(IReadOnlyList<PlanError> errors)
    : ValidateException(ExitCodes.InputError, errors.Count == 1 ? errors[0].ToString() : string.Join("\n", errors) + $"\n({errors.Count} errors)")
{
    public IReadOnlyList<PlanError> Errors { get; } = errors;
}
