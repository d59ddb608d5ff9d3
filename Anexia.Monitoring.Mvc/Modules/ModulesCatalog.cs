using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The <c>modules</c> answer, rendered from <see cref="ModuleLookups"/> and kept as prepared bytes while nothing has
/// changed: a warm answer costs no work. A request waits for missing data at most
/// <see cref="AnxMonitoringOptions.ModulesDeadline"/>, counted from its arrival, and answers nulls for what is still
/// unresolved; a stale answer is given at once while it is refreshed behind. The SBOM and the <c>up</c> lines about
/// vulnerabilities and the runtime are written from the same data.
/// </summary>
internal sealed class ModulesCatalog(
    ModuleLookups lookups,
    InstalledModules installed,
    AdvisorySuppression suppression,
    IOptions<AnxMonitoringOptions> options,
    TimeProvider time,
    Telemetry.AnxMonitoringTelemetry? telemetry = null)
{
    /// <summary>How many days before its channel's end of support the runtime check warns.</summary>
    public const int EndOfSupportNoticeDays = 90;

    // The most CVE ids one up line names; the rest are counted.
    private const int MaxNamedCves = 10;

    private readonly ModuleLookups _lookups = lookups;
    private readonly InstalledModules _installed = installed;
    private readonly AdvisorySuppression _suppression = suppression;
    private readonly AnxMonitoringOptions _options = options.Value;
    private readonly TimeProvider _time = time;
    private readonly Telemetry.AnxMonitoringTelemetry? _telemetry = telemetry;
    private Prepared? _prepared;

    /// <summary>The answer, waiting for missing data at most <see cref="AnxMonitoringOptions.ModulesDeadline"/>.</summary>
    public ValueTask<byte[]> GetReportAsync(CancellationToken cancellationToken)
    {
        var prepared = Volatile.Read(ref _prepared);
        if (prepared is not null && prepared.Version == _lookups.Version && _time.GetUtcNow() < prepared.ValidUntil)
        {
            _telemetry?.CacheHits.Add(prepared.Packages, new KeyValuePair<string, object?>("anxmonitoring.cache.level", "process"));
            return ValueTask.FromResult(prepared.Bytes);
        }

        return new ValueTask<byte[]>(BuildAsync(_options.ModulesDeadline, _time.GetTimestamp(), null, cancellationToken));
    }

    /// <summary>The answer once every lookup has ended (each still bounded by its own timeout), for the command line.</summary>
    public Task<byte[]> GetCompleteReportAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken) =>
        BuildAsync(Timeout.InfiniteTimeSpan, _time.GetTimestamp(), progress, cancellationToken);

    /// <summary>
    /// The CycloneDX document of what the application runs, from the same data as the <c>modules</c> answer and with
    /// the same wait: at most <see cref="AnxMonitoringOptions.ModulesDeadline"/>, or for every lookup when
    /// <paramref name="complete"/> (the command line).
    /// </summary>
    public async Task<byte[]> GetSbomAsync(bool complete, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        await _lookups.EnsureFreshAsync(complete ? Timeout.InfiniteTimeSpan : _options.ModulesDeadline, _time.GetTimestamp(), progress, cancellationToken);
        var modules = await _lookups.GetModulesAsync(cancellationToken);
        return SbomJson.Write(
            await _installed.GetApplicationAsync(cancellationToken),
            [.. modules.Select(m => (m.Package, m.Value))],
            _lookups.Runtime?.Value,
            _suppression,
            _time.GetUtcNow());
    }

    /// <summary>
    /// The runtime's <c>WARNING:</c> texts: the security fixes it misses (those not suppressed), and its channel's end of
    /// support when it has passed or is within <see cref="EndOfSupportNoticeDays"/>. Nothing while the status is not
    /// known yet: the lookup is started (the warm-up after start-up starts it first) and not waited for.
    /// </summary>
    public IReadOnlyList<string> GetRuntimeWarnings()
    {
        if (_lookups.GetRuntime() is not { Platform: { } platform } runtime)
        {
            return [];
        }

        var warnings = new List<string>();
        var missed = platform.Vulnerabilities.Where(v => !_suppression.IsSuppressed(v.AdvisoryUrl, v.Id)).Select(v => v.Id).ToList();
        if (missed.Count > 0)
        {
            var install = runtime.NewestVersion?.ToNormalizedString() ?? platform.Vulnerabilities[^1].FixedIn;
            var named = string.Join(", ", missed.Take(MaxNamedCves)) + (missed.Count > MaxNamedCves ? $" and {missed.Count - MaxNamedCves} more" : string.Empty);
            warnings.Add($".NET runtime {RuntimeVersions.PlatformRelease} misses security fixes: install {install} or later ({named})");
        }

        var channel = $"{Environment.Version.Major}.{Environment.Version.Minor}";
        var today = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime);
        var end = platform.EndOfSupportDate;
        if (platform.SupportPhase == "eol" || end <= today)
        {
            warnings.Add(end is null ? $".NET {channel} is out of support" : $".NET {channel} is out of support since {platform.EndOfSupport}");
        }
        else if (end is { } soon && soon.DayNumber - today.DayNumber <= EndOfSupportNoticeDays)
        {
            warnings.Add($".NET {channel} goes out of support on {platform.EndOfSupport}, in {soon.DayNumber - today.DayNumber} days");
        }

        return warnings;
    }

    /// <summary>
    /// One <c>WARNING:</c> text per known vulnerability of an installed package at or above <paramref name="minimum"/>,
    /// from the same data as the <c>modules</c> answer (waiting for missing data at most
    /// <see cref="AnxMonitoringOptions.ModulesDeadline"/>), in module order.
    /// </summary>
    public async Task<IReadOnlyList<string>> GetVulnerabilityWarningsAsync(VulnerabilitySeverity minimum, CancellationToken cancellationToken)
    {
        await _lookups.EnsureFreshAsync(_options.ModulesDeadline, _time.GetTimestamp(), null, cancellationToken);
        return [.. (await _lookups.GetModulesAsync(cancellationToken)).SelectMany(module => (module.Value?.InstalledVulnerabilities ?? [])
            .Where(vulnerability => vulnerability.Severity >= minimum && !_suppression.IsSuppressed(vulnerability.AdvisoryUrl))
            .Select(vulnerability => $"{module.Package.Name} {module.Package.Version} has a known {vulnerability.SeverityName} vulnerability ({vulnerability.AdvisoryUrl})"))];
    }

    private async Task<byte[]> BuildAsync(TimeSpan deadline, long startedAt, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        await _lookups.EnsureFreshAsync(deadline, startedAt, progress, cancellationToken);
        var modules = await _lookups.GetModulesAsync(cancellationToken);
        var framework = _lookups.Framework;

        var version = _lookups.Version;
        var bytes = ModulesJson.Write(
            framework.Package.Version,
            framework.Value?.NewestVersion?.ToNormalizedString(),
            _lookups.Runtime?.Value,
            [.. modules.Select(m => (m.Package, m.Value))],
            _suppression);

        // Reusable until a lookup ends (the version moves) or an entry that nobody is refreshing expires.
        var complete = framework.Value is not null && _lookups.Runtime is not { Value: null } && Array.TrueForAll(modules, m => m.Value is not null);
        if (complete)
        {
            var validUntil = modules.Append(framework).Append(_lookups.Runtime).OfType<ModuleLookups.Module>()
                .Where(m => m.Refresh is null)
                .Select(m => m.ExpiresAt)
                .DefaultIfEmpty(DateTimeOffset.MaxValue)
                .Min();
            Volatile.Write(ref _prepared, new Prepared(bytes, version, validUntil, modules.Length + 1));
        }

        return bytes;
    }

    private sealed record Prepared(byte[] Bytes, int Version, DateTimeOffset ValidUntil, int Packages);
}
