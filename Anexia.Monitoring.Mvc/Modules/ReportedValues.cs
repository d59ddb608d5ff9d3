using System.Text.RegularExpressions;
using Anexia.Monitoring.Mvc.Security;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// What a feed or the shared cache may put into <c>modules</c>, checked in one place before it is kept: addresses
/// only as absolute <c>http</c>/<c>https</c> URLs, licences as such a URL or an SPDX-shaped expression, messages as
/// one bounded line of text, and at most a few of each. Anything else is dropped and counted, so that a hostile feed
/// can neither place a <c>javascript:</c> link in a dashboard nor make one package's entry large.
/// </summary>
internal static partial class ReportedValues
{
    /// <summary>The longest URL kept (advisory and licence addresses).</summary>
    public const int MaxUrlLength = 2_000;

    /// <summary>The longest deprecation message kept; longer ones are cut.</summary>
    public const int MaxMessageLength = 1_000;

    /// <summary>The most advisories kept for one installed version.</summary>
    public const int MaxVulnerabilities = 100;

    /// <summary>The most licences and deprecation reasons kept for one version.</summary>
    public const int MaxListItems = 8;

    /// <summary>The longest version kept (newest, newest compatible, a runtime fix); a longer one is dropped.</summary>
    public const int MaxVersionLength = 128;

    /// <summary>An absolute http(s) URL without whitespace or control characters, or null.</summary>
    public static string? Url(string? value) =>
        value is { Length: > 0 and <= MaxUrlLength }
        && !value.Any(c => char.IsWhiteSpace(c) || SecretMasker.IsUnsafe(c) || c is '"' or '<' or '>' or '\\' or '^' or '`' or '{' or '|' or '}')
        && Uri.TryCreate(value, UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
            ? value
            : null;

    /// <summary>A licence as <c>modules</c> shows it: an SPDX-shaped expression or a licence URL, or null.</summary>
    public static string? Licence(string? value) =>
        value is null ? null : SpdxShaped().IsMatch(value) ? value : Url(value);

    /// <summary>A NuGet package id (the alternative of a deprecation), or null.</summary>
    public static string? PackageId(string? value) => value is not null && PackageIdShaped().IsMatch(value) ? value : null;

    /// <summary>A deprecation reason (<c>Legacy</c>, <c>CriticalBugs</c>, <c>Other</c>, ...), or null.</summary>
    public static string? Reason(string? value) => value is not null && ReasonShaped().IsMatch(value) ? value : null;

    /// <summary>A publisher's message as one line: control characters become spaces, and it is cut to <see cref="MaxMessageLength"/>.</summary>
    public static string? Message(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var cut = value.Length > MaxMessageLength;
        var line = string.Create(cut ? MaxMessageLength - 1 : value.Length, value, static (span, text) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = SecretMasker.IsUnsafe(text[i]) ? ' ' : text[i];
            }
        }).Trim();
        return line.Length == 0 ? null : cut ? line + "…" : line;
    }

    /// <summary>
    /// <paramref name="info"/> with every value checked; <paramref name="dropped"/> says how many were dropped. The same
    /// instance when nothing had to change.
    /// </summary>
    public static ModuleInfo Check(ModuleInfo info, out int dropped)
    {
        var count = 0;
        var installedLicences = Keep(info.InstalledLicences, Licence, MaxListItems, ref count);
        var newestLicences = Keep(info.NewestLicences, Licence, MaxListItems, ref count);
        var vulnerabilities = Keep(info.InstalledVulnerabilities, v => Url(v.AdvisoryUrl) is not null ? v : null, MaxVulnerabilities, ref count);
        var deprecation = info.InstalledDeprecation is { } d ? Deprecation(d, ref count) : null;
        var platform = info.Platform is { } p ? Platform(p, ref count) : null;
        var newest = Version(info.NewestVersion, ref count);
        var compatible = Version(info.NewestCompatibleVersion, ref count);
        dropped = count;
        return count == 0 && ReferenceEquals(deprecation, info.InstalledDeprecation) && ReferenceEquals(platform, info.Platform)
            ? info
            : info with
            {
                NewestVersion = newest,
                NewestCompatibleVersion = compatible,
                InstalledLicences = installedLicences,
                NewestLicences = newestLicences,
                InstalledVulnerabilities = vulnerabilities,
                InstalledDeprecation = deprecation,
                Platform = platform,
            };
    }

    /// <summary>The runtime's status with a phase shaped like a word, a <c>YYYY-MM-DD</c> date, and CVEs with an id, an address and a version.</summary>
    private static PlatformStatus Platform(PlatformStatus status, ref int dropped)
    {
        var phase = status.SupportPhase is { } given && PhaseShaped().IsMatch(given) ? given : null;
        var end = status.EndOfSupportDate is null ? null : status.EndOfSupport;
        dropped += (phase != status.SupportPhase ? 1 : 0) + (end != status.EndOfSupport ? 1 : 0);
        // One entry per CVE: a repeated one would also make the SBOM invalid (its vulnerabilities are unique items).
        var unique = status.Vulnerabilities.DistinctBy(v => v.Id, StringComparer.OrdinalIgnoreCase).ToList();
        dropped += status.Vulnerabilities.Count - unique.Count;
        var vulnerabilities = Keep(
            unique.Count == status.Vulnerabilities.Count ? status.Vulnerabilities : unique,
            v => CveShaped().IsMatch(v.Id) && Url(v.AdvisoryUrl) is not null && v.FixedIn.Length <= MaxVersionLength && NuGetVersion.TryParse(v.FixedIn, out _) ? v : null,
            MaxVulnerabilities,
            ref dropped);
        return phase == status.SupportPhase && end == status.EndOfSupport && ReferenceEquals(vulnerabilities, status.Vulnerabilities)
            ? status
            : new PlatformStatus(phase, end, vulnerabilities);
    }

    private static PackageDeprecation Deprecation(PackageDeprecation deprecation, ref int dropped)
    {
        var reasons = Keep(deprecation.Reasons, Reason, MaxListItems, ref dropped);
        var message = Message(deprecation.Message);
        var alternative = PackageId(deprecation.Alternative);
        if (deprecation.Alternative is not null && alternative is null)
        {
            dropped++;
        }

        return ReferenceEquals(reasons, deprecation.Reasons) && message == deprecation.Message && alternative == deprecation.Alternative
            ? deprecation
            : new PackageDeprecation(reasons, message, alternative);
    }

    private static NuGetVersion? Version(NuGetVersion? version, ref int dropped)
    {
        if (version is not null && version.ToNormalizedString().Length > MaxVersionLength)
        {
            dropped++;
            return null;
        }

        return version;
    }

    /// <summary>The values that pass <paramref name="check"/>, at most <paramref name="max"/>; the same list when all do.</summary>
    private static IReadOnlyList<T> Keep<T>(IReadOnlyList<T> values, Func<T, T?> check, int max, ref int dropped)
        where T : class
    {
        if (values.Count <= max && values.All(v => check(v) is not null))
        {
            return values;
        }

        var kept = new List<T>();
        foreach (var value in values)
        {
            if (kept.Count < max && check(value) is { } good)
            {
                kept.Add(good);
            }
            else
            {
                dropped++;
            }
        }

        return kept;
    }

    // An SPDX license expression (MIT, Apache-2.0 OR MIT, (GPL-2.0+ WITH Classpath-exception-2.0)): no ':' or '/', so never a link.
    [GeneratedRegex(@"^[A-Za-z0-9(][A-Za-z0-9.+\-() ]{0,255}\z", RegexOptions.CultureInvariant)]
    private static partial Regex SpdxShaped();

    [GeneratedRegex(@"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,99}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PackageIdShaped();

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ReasonShaped();

    [GeneratedRegex(@"^[a-z][a-z0-9\-]{0,31}\z", RegexOptions.CultureInvariant)]
    private static partial Regex PhaseShaped();

    [GeneratedRegex(@"^CVE-[0-9]{4}-[0-9]{4,8}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CveShaped();
}
