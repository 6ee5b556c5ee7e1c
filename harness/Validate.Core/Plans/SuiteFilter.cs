namespace Validate.Plans;

/// <summary>
/// `validate run --filter`: which suites of a plan run, in the test platform's filter syntax, decided here
/// so that the run knows its suites before it starts (the count, the order, the ETA) and `--check` shows
/// them. Conditions are PROPERTY OP VALUE with OP one of = != ~ (contains) !~, or a bare VALUE
/// (FullyQualifiedName~VALUE); combined with &amp; (and, binds first), | (or), ! (not) and parentheses.
/// Comparisons ignore case. Properties: Name, FullyQualifiedName (Validate.Suites.PlanSuite(NAME).Run),
/// Category (also cat, TestCategory: the backend, and latency or fault), Backend, Mode, Load, Fault (the
/// fault kind), Kind (latency or fault).
/// </summary>
public sealed class SuiteFilter
{
    public static readonly string[] Properties = ["Name", "FullyQualifiedName", "Category", "Backend", "Mode", "Load", "Fault", "Kind"];

    private readonly Func<SuitePlan, bool> _match;

    private SuiteFilter(Func<SuitePlan, bool> match) => _match = match;

    public bool Matches(SuitePlan suite) => _match(suite);

    /// <summary>The plan's suites the filter selects, in the plan's order (all of them for a null filter).</summary>
    public static IReadOnlyList<SuitePlan> Select(Plan plan, string? filter) =>
        filter is null ? plan.Suites : [.. plan.Suites.Where(Parse(filter).Matches)];

    /// <summary>Parses a filter; a mistake is one line naming it and the syntax (exit status 2).</summary>
    public static SuiteFilter Parse(string text)
    {
        var p = new Parser(text);
        var m = p.Or();
        p.SkipSpace();
        if (!p.End) throw p.Error($"unexpected '{p.Rest}'");
        return new SuiteFilter(m);
    }

    /// <summary>The values a property has for a suite (Category has several).</summary>
    public static IReadOnlyList<string> ValuesOf(SuitePlan s, string property) => property.ToLowerInvariant() switch
    {
        "name" => [s.Name],
        "fullyqualifiedname" => [$"Validate.Suites.PlanSuite({s.Name}).Run"],
        "category" or "cat" or "testcategory" => [s.Backend.ToString().ToLowerInvariant(), s.IsFault ? "fault" : "latency"],
        "backend" => [s.Backend.ToString().ToLowerInvariant()],
        "mode" => [s.Mode],
        "load" => [s.Load.Name],
        "fault" => s.Fault is { } f ? [f.Kind] : [],
        "kind" => [s.IsFault ? "fault" : "latency"],
        _ => throw new ValidateException(ExitCodes.Usage,
            $"--filter: unknown property '{property}'; use {string.Join(", ", Properties)} (or cat), e.g. \"Name~valirq\" or \"cat==fault\""),
    };

    private sealed class Parser(string text)
    {
        private int _at;

        public bool End => _at >= text.Length;
        public string Rest => text[_at..];

        public ValidateException Error(string what) =>
            new(ExitCodes.Usage, $"--filter \"{text}\": {what} at column {_at + 1}; write PROPERTY=VALUE, PROPERTY~VALUE (contains), != or !~, joined with & and |, e.g. \"Name~valirq&cat!=fault\"");

        public void SkipSpace()
        {
            while (!End && char.IsWhiteSpace(text[_at])) _at++;
        }

        private bool Take(char c)
        {
            SkipSpace();
            if (End || text[_at] != c) return false;
            _at++;
            return true;
        }

        public Func<SuitePlan, bool> Or()
        {
            var left = And();
            while (Take('|'))
            {
                var (l, r) = (left, And());
                left = s => l(s) || r(s);
            }
            return left;
        }

        private Func<SuitePlan, bool> And()
        {
            var left = Unary();
            while (Take('&'))
            {
                var (l, r) = (left, Unary());
                left = s => l(s) && r(s);
            }
            return left;
        }

        private Func<SuitePlan, bool> Unary()
        {
            SkipSpace();
            if (!End && text[_at] == '!' && (_at + 1 >= text.Length || text[_at + 1] is not ('=' or '~')))
            {
                _at++;
                var inner = Unary();
                return s => !inner(s);
            }
            if (Take('('))
            {
                var inner = Or();
                if (!Take(')')) throw Error("missing ')'");
                return inner;
            }
            return Condition();
        }

        private Func<SuitePlan, bool> Condition()
        {
            SkipSpace();
            var word = Word();
            if (word.Length == 0) throw Error(End ? "a condition is missing" : $"unexpected '{text[_at]}'");
            SkipSpace();
            string op;
            if (Rest.StartsWith("!=", StringComparison.Ordinal) || Rest.StartsWith("!~", StringComparison.Ordinal)) op = Rest[..2];
            else if (Rest.StartsWith("==", StringComparison.Ordinal)) op = "=";
            else if (!End && text[_at] is '=' or '~') op = text[_at].ToString();
            else
            {
                // A bare value: the test platform's shorthand for FullyQualifiedName~VALUE.
                var bare = word;
                return s => ValuesOf(s, "FullyQualifiedName")[0].Contains(bare, StringComparison.OrdinalIgnoreCase);
            }
            _at += op.Length + (Rest.StartsWith("==", StringComparison.Ordinal) ? 1 : 0);
            var property = word;
            ValuesOf(PropertyProbe, property); // an unknown property is an error now, not at the first suite
            SkipSpace();
            var value = Value();
            if (value.Length == 0) throw Error($"no value after '{property}{op}'");
            return op switch
            {
                "=" => s => ValuesOf(s, property).Any(v => v.Equals(value, StringComparison.OrdinalIgnoreCase)),
                "!=" => s => !ValuesOf(s, property).Any(v => v.Equals(value, StringComparison.OrdinalIgnoreCase)),
                "~" => s => ValuesOf(s, property).Any(v => v.Contains(value, StringComparison.OrdinalIgnoreCase)),
                _ => s => !ValuesOf(s, property).Any(v => v.Contains(value, StringComparison.OrdinalIgnoreCase)),
            };
        }

        /// <summary>A value: up to &amp;, |, a space or a ')' that closes a group; balanced parentheses belong to it (PlanSuite(NAME)).</summary>
        private string Value()
        {
            var start = _at;
            var depth = 0;
            while (!End && text[_at] is not ('&' or '|') && !char.IsWhiteSpace(text[_at]))
            {
                if (text[_at] == '(') depth++;
                else if (text[_at] == ')' && depth-- == 0) break;
                _at++;
            }
            return text[start.._at];
        }

        private string Word()
        {
            var start = _at;
            while (!End && text[_at] is not ('&' or '|' or '(' or ')' or '=' or '~' or '!') && !char.IsWhiteSpace(text[_at])) _at++;
            return text[start.._at];
        }
    }

    private static readonly SuitePlan PropertyProbe = new("probe", BackendKind.Timer, "timer", 1, null, 1, [0], 1,
        new LoadProfile("idle", null, []), 0, 1, 0, 1, new Limits(0, 0, 0, []));
}
