using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The <c>modules</c> answer, rendered from <see cref="ModuleLookups"/> and kept as prepared bytes while nothing has
/// changed: a warm answer costs no work. A request waits for missing data at most
/// <see cref="AnxMonitoringOptions.ModulesDeadline"/>, counted from its arrival, and answers nulls for what is still
/// unresolved; a stale answer is given at once while it is refreshed behind.
/// </summary>
internal sealed class ModulesCatalog(ModuleLookups lookups, IOptions<AnxMonitoringOptions> options, TimeProvider time, Telemetry.AnxMonitoringTelemetry? telemetry = null)
{
    private readonly ModuleLookups _lookups = lookups;
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
    /// One <c>WARNING:</c> text per known vulnerability of an installed package at or above <paramref name="minimum"/>,
    /// from the same data as the <c>modules</c> answer (waiting for missing data at most
    /// <see cref="AnxMonitoringOptions.ModulesDeadline"/>), in module order.
    /// </summary>
    public async Task<IReadOnlyList<string>> GetVulnerabilityWarningsAsync(VulnerabilitySeverity minimum, CancellationToken cancellationToken)
    {
        await _lookups.EnsureFreshAsync(_options.ModulesDeadline, _time.GetTimestamp(), null, cancellationToken);
        return [.. (await _lookups.GetModulesAsync(cancellationToken)).SelectMany(module => (module.Value?.InstalledVulnerabilities ?? [])
            .Where(vulnerability => vulnerability.Severity >= minimum)
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
            [.. modules.Select(m => (m.Package, m.Value))]);

        // Reusable until a lookup ends (the version moves) or an entry that nobody is refreshing expires.
        var complete = framework.Value is not null && Array.TrueForAll(modules, m => m.Value is not null);
        if (complete)
        {
            var validUntil = modules.Append(framework)
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
