using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The advisories <see cref="AnxMonitoringOptions.SuppressedAdvisories"/> names: by address, or by id (a GHSA id, the
/// last part of a GitHub advisory's address; or a CVE id of the runtime). Compared without regard to case, a trailing
/// slash of an address ignored.
/// </summary>
internal sealed partial class AdvisorySuppression
{
    private readonly HashSet<string> _suppressed;

    public AdvisorySuppression(IOptions<AnxMonitoringOptions> options)
    {
        _suppressed = new HashSet<string>(
            options.Value.SuppressedAdvisories.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim().TrimEnd('/')),
            StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Whether the advisory at <paramref name="advisoryUrl"/> (with the id <paramref name="id"/>, if known) is suppressed.</summary>
    public bool IsSuppressed(string advisoryUrl, string? id = null) =>
        _suppressed.Count > 0
        && (_suppressed.Contains(advisoryUrl.TrimEnd('/')) || (id ?? IdOf(advisoryUrl)) is { } known && _suppressed.Contains(known));

    /// <summary>The GHSA id at the end of an advisory's address, or null.</summary>
    public static string? IdOf(string advisoryUrl)
    {
        var last = advisoryUrl.TrimEnd('/');
        last = last[(last.LastIndexOf('/') + 1)..];
        return GhsaId().IsMatch(last) ? last : null;
    }

    [GeneratedRegex(@"^GHSA(-[0-9a-zA-Z]{4}){3}\z", RegexOptions.CultureInvariant)]
    private static partial Regex GhsaId();
}
