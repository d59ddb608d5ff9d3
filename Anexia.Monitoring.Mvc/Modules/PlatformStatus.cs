namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>What the .NET release metadata says about the running runtime's channel.</summary>
/// <param name="SupportPhase">The channel's support phase as the metadata writes it (<c>active</c>, <c>maintenance</c>, <c>eol</c>, ...).</param>
/// <param name="EndOfSupport">The channel's end of support, <c>YYYY-MM-DD</c>, when the metadata gives one.</param>
/// <param name="Vulnerabilities">The CVEs fixed by security releases of the channel newer than the running runtime.</param>
internal sealed record PlatformStatus(string? SupportPhase, string? EndOfSupport, IReadOnlyList<PlatformVulnerability> Vulnerabilities)
{
    /// <summary><see cref="EndOfSupport"/> as a date; null when there is none or it is not <c>YYYY-MM-DD</c>.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public DateOnly? EndOfSupportDate =>
        DateOnly.TryParseExact(EndOfSupport, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date) ? date : null;
}

/// <summary>One CVE the running runtime misses.</summary>
/// <param name="Id">The CVE id.</param>
/// <param name="AdvisoryUrl">Where it is described.</param>
/// <param name="FixedIn">The runtime release that fixed it.</param>
internal sealed record PlatformVulnerability(string Id, string AdvisoryUrl, string FixedIn);
