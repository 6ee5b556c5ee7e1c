using System.Text;

namespace Validate.Lab;

/// <summary>POSIX sh quoting: each word in single quotes, embedded single quotes as '\''.</summary>
public static class ShellQuote
{
    public static string Quote(string word)
    {
        if (word.Length > 0 && word.All(c => char.IsAsciiLetterOrDigit(c) || "_-./=:,+@%".Contains(c)))
            return word;
        return "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    public static string Join(IEnumerable<string> words)
    {
        var sb = new StringBuilder();
        foreach (var w in words)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(Quote(w));
        }
        return sb.ToString();
    }
}
