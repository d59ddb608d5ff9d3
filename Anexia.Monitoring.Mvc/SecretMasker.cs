using System.Text.RegularExpressions;

namespace Anexia.Monitoring.Mvc;

/// <summary>
/// Masks credentials in the messages of checks before they become <c>up</c> lines or log entries: the user info of
/// URLs (<c>https://admin:secret@host</c> becomes <c>https://***@host</c>) and the secret-bearing keys of connection
/// strings (<c>Password</c>, <c>Pwd</c>, <c>AccountKey</c>, <c>SharedAccessKey</c>, <c>SharedAccessSignature</c>,
/// <c>Client Secret</c>; quoted values included). User names (<c>User ID=</c>, <c>Username=</c>) and the rest of
/// the message stay as the check wrote them.
/// </summary>
internal static partial class SecretMasker
{
    /// <summary>What a masked secret is replaced with.</summary>
    public const string Mask = "***";

    /// <summary>The message with its credentials masked; the same instance when it has none.</summary>
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
        }

        return message;
    }

    // scheme://userinfo@ where the user info has no slash, whitespace, '?' or '#' (so a path's '@' is left alone).
    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#@]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlUserInfo();

    // key=value of a connection string; the value is quoted, or runs to the next ';' or the end of the line.
    [GeneratedRegex(
        @"(?<key>\b(?:password|pwd|accountkey|sharedaccesskey|sharedaccesssignature|client\s?secret)\s*=\s*)(?:""(?:[^""]|"""")*""|'(?:[^']|'')*'|[^;\r\n]*)",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ConnectionStringSecret();
}
