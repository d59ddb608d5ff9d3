namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>One known vulnerability of a package version.</summary>
/// <param name="Severity">Its severity.</param>
/// <param name="AdvisoryUrl">Where the advisory is published.</param>
internal sealed record KnownVulnerability(VulnerabilitySeverity Severity, string AdvisoryUrl)
{
    /// <summary>The severity as the wire format writes it: <c>low</c>, <c>moderate</c>, <c>high</c> or <c>critical</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string SeverityName => Severity switch
    {
        VulnerabilitySeverity.Low => "low",
        VulnerabilitySeverity.Moderate => "moderate",
        VulnerabilitySeverity.High => "high",
        _ => "critical",
    };

    /// <summary>Reads a severity as NuGet numbers it (0 low to 3 critical); null for any other value.</summary>
    public static VulnerabilitySeverity? ToSeverity(int value) =>
        value is >= 0 and <= 3 ? (VulnerabilitySeverity)value : null;

    /// <summary>Merges lists from several sources: one entry per advisory address, most severe first, then by address.</summary>
    public static IReadOnlyList<KnownVulnerability> Merge(IEnumerable<KnownVulnerability> vulnerabilities) =>
        [.. vulnerabilities
            .GroupBy(v => v.AdvisoryUrl, StringComparer.Ordinal)
            .Select(g => g.MaxBy(v => v.Severity)!)
            .OrderByDescending(v => v.Severity)
            .ThenBy(v => v.AdvisoryUrl, StringComparer.Ordinal)];
}

/// <summary>A package version's deprecation, as its registration entry declares it.</summary>
/// <param name="Reasons">The reasons (<c>Legacy</c>, <c>CriticalBugs</c>, <c>Other</c>).</param>
/// <param name="Message">The publisher's message, if any.</param>
/// <param name="Alternative">The package id the publisher recommends instead, if any.</param>
internal sealed record PackageDeprecation(IReadOnlyList<string> Reasons, string? Message, string? Alternative);
