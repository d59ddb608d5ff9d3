using System.Text;
using System.Text.RegularExpressions;

namespace Anexia.Monitoring.Mvc.Security;

/// <summary>
/// Masks credentials by their shape in text that becomes an <c>up</c> line, a log entry or a span: URL user info,
/// connection-string and query/<c>key=value</c> secrets, <c>Authorization</c> credentials, JSON properties named like
/// secrets and JWTs. docs/security.md has the table; masking errs towards hiding too much.
/// </summary>
internal static partial class SecretMasker
{
    public const string Mask = "***";

    // The names that say "secret" in query strings, key=value text and JSON.
    private const string SecretNames =
        "access[_-]?token|refresh[_-]?token|id[_-]?token|token|api[_-]?key|apikey|key|sig|signature|sas|secret|client[_-]?secret|password|passwd|pwd|auth";

    /// <summary>The text with its credentials masked; the same instance when it has none.</summary>
    public static string Apply(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Contains("://", StringComparison.Ordinal))
        {
            message = UrlUserInfo().Replace(message, "${scheme}" + Mask + "@");
        }

        if (message.Contains('='))
        {
            message = ConnectionStringSecret().Replace(message, "${key}" + Mask);
            message = NamedValue().Replace(message, "${key}" + Mask);
        }

        if (message.Contains('"'))
        {
            message = JsonSecret().Replace(message, "${key}\"" + Mask + "\"");
        }

        if (message.Contains("uthorization", StringComparison.OrdinalIgnoreCase) || message.Contains("earer ", StringComparison.OrdinalIgnoreCase)
            || message.Contains("asic ", StringComparison.OrdinalIgnoreCase) || message.Contains("pikey", StringComparison.OrdinalIgnoreCase)
            || message.Contains("pi-key", StringComparison.OrdinalIgnoreCase))
        {
            message = Credentials().Replace(message, "${scheme}" + Mask);
        }

        return message.Contains("eyJ", StringComparison.Ordinal) ? Jwt().Replace(message, Mask) : message;
    }

    /// <summary>The most characters of one text written to a log entry; the rest is cut before masking.</summary>
    public const int MaxLogText = 4_096;

    /// <summary>
    /// The text as one log line: cut to <see cref="MaxLogText"/>, masked, and every control, line-separator or format
    /// character (a line break from a feed, say) written as an escape (<c>\n</c>, <c>\u2028</c>), so outside text can
    /// neither forge log entries nor drive a terminal.
    /// </summary>
    public static string ForLog(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        message = Apply(message.Length > MaxLogText ? message[..MaxLogText] + "…" : message);
        if (!message.Any(IsUnsafe))
        {
            return message;
        }

        var escaped = new StringBuilder(message.Length + 8);
        foreach (var c in message)
        {
            _ = c switch
            {
                '\n' => escaped.Append("\\n"),
                '\r' => escaped.Append("\\r"),
                '\t' => escaped.Append("\\t"),
                _ when IsUnsafe(c) => escaped.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }

    /// <summary>A control, line or paragraph separator, or format (bidirectional) character: never shown raw.</summary>
    public static bool IsUnsafe(char c) => char.IsControl(c) || char.GetUnicodeCategory(c) is
        System.Globalization.UnicodeCategory.LineSeparator or System.Globalization.UnicodeCategory.ParagraphSeparator or System.Globalization.UnicodeCategory.Format;

    // scheme://user:password@host, the password up to the last '@' before a host within 256 characters (so '/', '#',
    // '?', '@' and spaces in it are masked too; bounded, so a long line costs linear time); or scheme://token@host.
    // A port (host:8080/...) is no password.
    [GeneratedRegex(
        @"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?:[^\s/?#@:]{0,256}:(?!\d+(?:[/?#\s]|$))[^\r\n]{0,256}|[^\s/?#@:]{1,256})@(?=[A-Za-z0-9\[])",
        RegexOptions.CultureInvariant)]
    private static partial Regex UrlUserInfo();

    // key=value of a connection string; the value is quoted, or runs to the next ';' or the end of the line.
    [GeneratedRegex(
        @"(?<key>\b(?:password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|client\s?secret)\s*=\s*)(?:""(?:[^""]|"""")*""|'(?:[^']|'')*'|[^;\r\n]*)",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringSecret();

    // name=value in a query string or free text, the name also with a prefix (GITHUB_TOKEN=, aws_secret_access_key=);
    // the value runs to '&', ';', '#', a quote or whitespace.
    [GeneratedRegex(
        @"(?<key>(?<![A-Za-z0-9_\-])(?:[A-Za-z0-9]+[_\-])*(?:" + SecretNames + @")=)(?!\*\*\*)[^&;\s""'#]+",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex NamedValue();

    // "name": "value" in JSON.
    [GeneratedRegex(
        @"(?<key>""(?:" + SecretNames + @")""\s*:\s*)""(?:[^""\\]|\\.)*""",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex JsonSecret();

    // Authorization credentials: "Authorization: <scheme> <credentials>", or a Bearer/Basic token on its own that looks
    // like one (8 characters or more with a digit, a capital or a symbol, so the prose "Basic authentication" stays).
    [GeneratedRegex(
        @"(?<scheme>\b(?i:authorization|x-nuget-apikey|x-api-key)""?\s*[:=]\s*""?(?:[A-Za-z]+\s+)?)(?!\*\*\*)[^\s,;""']+|(?<scheme>\b(?:Bearer|Basic|bearer|basic)\s+)(?=[A-Za-z0-9\-._~+/]{0,4096}[0-9A-Z\-._~+/=])[A-Za-z0-9\-._~+/]{8,}=*",
        RegexOptions.CultureInvariant)]
    private static partial Regex Credentials();

    // A JWT: three base64url parts, the first a JSON object ("eyJ"); atomic and anchored at a run's start, so linear.
    [GeneratedRegex(@"(?<![A-Za-z0-9_\-])eyJ(?>[A-Za-z0-9_\-]{4,})\.(?>[A-Za-z0-9_\-]{4,})\.(?>[A-Za-z0-9_\-]*)", RegexOptions.CultureInvariant)]
    private static partial Regex Jwt();
}
