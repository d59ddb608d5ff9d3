using Anexia.Monitoring.Mvc.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NuGet.Versioning;
using ILogger = Microsoft.Extensions.Logging.ILogger;
using LogLevel = Microsoft.Extensions.Logging.LogLevel;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// Answers, for one installed package, its newest version and the licences of both versions, from every
/// configured package source (one <see cref="IPackageSource"/> each, of its kind, for the process lifetime). The rules
/// are those of docs/modules.md.
/// </summary>
internal sealed partial class PackageRegistry
{
    private readonly Lazy<Task<PackageSourceSet>> _sources;
    private readonly ILogger<PackageRegistry> _logger;
    private readonly string? _localPackagesFolder;
    private readonly TimeProvider _time;
    private readonly Telemetry.AnxMonitoringTelemetry? _telemetry;
    private readonly TimeSpan _sourceTimeout;

    public PackageRegistry(IOptions<AnxMonitoringOptions> options, ILogger<PackageRegistry> logger, TimeProvider time, Telemetry.AnxMonitoringTelemetry telemetry)
        : this(options, logger, PackageSourceSet.GlobalPackagesFolder(), time, telemetry: telemetry)
    {
    }

    /// <summary>
    /// Installed nuspecs are read from <paramref name="localPackagesFolder"/>; NuGet.Config files (with
    /// <see cref="AnxMonitoringOptions.UseNuGetConfig"/>) are looked for in <paramref name="nuGetConfigRoot"/> and the
    /// folders above it, then the user's and the machine's: the application's own folder unless a test says otherwise.
    /// </summary>
    internal PackageRegistry(
        IOptions<AnxMonitoringOptions> options,
        ILogger<PackageRegistry> logger,
        string? localPackagesFolder,
        TimeProvider? time = null,
        string? nuGetConfigRoot = null,
        Telemetry.AnxMonitoringTelemetry? telemetry = null)
    {
        _logger = logger;
        _localPackagesFolder = localPackagesFolder;
        _time = time ?? TimeProvider.System;
        _telemetry = telemetry;
        var configRoot = nuGetConfigRoot ?? AppContext.BaseDirectory;
        // A source gets most of the lookup's time, so that one that does not answer fails alone and the others' answers count.
        _sourceTimeout = options.Value.LookupTimeout * 0.8;
        // Reading NuGet.Config is file IO: on the pool, once, awaited by the lookups.
        _sources = new Lazy<Task<PackageSourceSet>>(() => Task.Run(() => PackageSourceSet.Create(options.Value, logger, time ?? TimeProvider.System, configRoot)));
    }

    /// <summary>Looks one package up. Throws when every source asked failed; a package no source knows is <see cref="ModuleInfo.Unknown"/>.</summary>
    public async Task<ModuleInfo> LookupAsync(string id, string installedVersion, CancellationToken cancellationToken)
    {
        var clients = (await _sources.Value.WaitAsync(cancellationToken)).For(id);
        var installed = NuGetVersion.TryParse(installedVersion, out var parsed) ? parsed : null;
        using var sourceTimeout = new CancellationTokenSource(_sourceTimeout, _time);
        using var perSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, sourceTimeout.Token);
        var answers = await Task.WhenAll(clients.Select(client => AskAsync(client, id, installed, perSource.Token, cancellationToken)));
        cancellationToken.ThrowIfCancellationRequested();

        var failures = answers.Where(a => a.Error is not null).Select(a => a.Error!).ToList();
        if (clients.Count > 0 && failures.Count == clients.Count)
        {
            throw failures.Count == 1 ? failures[0] : new AggregateException(failures);
        }

        var entries = answers
            .Where(a => a.Entries is not null)
            .SelectMany(a => a.Entries!.Select(entry => (a.Client, Entry: entry)))
            .ToList();

        var newest = Newest(entries.Select(e => e.Entry), installed);
        var installedEntries = installed is null ? [] : entries.Where(e => e.Entry.Version == installed).ToList();
        var vulnerabilities = installed is null
            ? []
            : KnownVulnerability.Merge(answers.SelectMany(a => a.Vulnerabilities is { } database
                ? database.For(id, installed)
                : installedEntries.Where(e => e.Client == a.Client).SelectMany(e => e.Entry.Vulnerabilities)));
        var deprecation = installedEntries.Select(e => e.Entry.Deprecation).FirstOrDefault(d => d is not null);
        var installedLicences = installed is null
            ? []
            : await LicencesAsync(id, installed, entries, allowLocalFolder: true, cancellationToken);
        var newestLicences = newest is null
            ? []
            : await LicencesAsync(id, newest, entries, allowLocalFolder: false, cancellationToken);
        var compatible = newest is null ? null : NewestCompatible(entries.Select(e => e.Entry), installed);
        var info = ReportedValues.Check(
            new ModuleInfo(newest, installedLicences, newestLicences) { InstalledVulnerabilities = vulnerabilities, InstalledDeprecation = deprecation, NewestCompatibleVersion = compatible },
            out var dropped);
        _telemetry?.CountRejected("feed", "value", dropped);
        return info;
    }

    /// <summary>
    /// The highest listed stable version; prereleases count too when the installed version is one or when the
    /// package has no listed stable version at all. Unlisted versions never count.
    /// </summary>
    internal static NuGetVersion? Newest(IEnumerable<PackageVersionEntry> entries, NuGetVersion? installed)
    {
        var listed = entries.Where(e => e.Listed).Select(e => e.Version).ToList();
        var includePrerelease = installed?.IsPrerelease == true || !listed.Any(v => !v.IsPrerelease);
        return listed.Where(v => includePrerelease || !v.IsPrerelease).DefaultIfEmpty().Max();
    }

    /// <summary>The highest listed stable version with the installed major version, or the installed version when none is higher.</summary>
    internal static NuGetVersion? NewestCompatible(IEnumerable<PackageVersionEntry> entries, NuGetVersion? installed) => installed is null ? null
        : entries.Where(e => e.Listed && !e.Version.IsPrerelease && e.Version.Major == installed.Major && e.Version > installed).Select(e => e.Version).DefaultIfEmpty(installed).Max();

    private async Task<IReadOnlyList<string>> LicencesAsync(
        string id,
        NuGetVersion version,
        List<(IPackageSource Client, PackageVersionEntry Entry)> entries,
        bool allowLocalFolder,
        CancellationToken cancellationToken)
    {
        var matching = entries.Where(e => e.Entry.Version == version).ToList();
        var declared = matching.Select(e => e.Entry.Licences).FirstOrDefault(l => l.Count > 0);
        if (declared is not null)
        {
            return declared;
        }

        if (allowLocalFolder && await LocalNuspecLicencesAsync(id, version, cancellationToken) is { Count: > 0 } local)
        {
            return local;
        }

        foreach (var (client, _) in matching)
        {
            try
            {
                var fromNuspec = await client.GetNuspecLicencesAsync(id, version, cancellationToken);
                if (fromNuspec.Count > 0)
                {
                    return fromNuspec;
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var reason = SecretMasker.ForLog(ex.Message);
                Log.NuspecFailed(_logger, id, version, client.DisplayName, reason);
            }
        }

        return [];
    }

    private async Task<IReadOnlyList<string>?> LocalNuspecLicencesAsync(string id, NuGetVersion version, CancellationToken cancellationToken)
    {
        if (_localPackagesFolder is null)
        {
            return null;
        }

        var lowerId = id.ToLowerInvariant();
        var path = Path.Combine(_localPackagesFolder, lowerId, version.ToNormalizedString().ToLowerInvariant(), lowerId + ".nuspec");
        try
        {
            if (!File.Exists(path))
            {
                return null;
            }

            await using var nuspec = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, useAsync: true);
            return await Licences.FromNuspecAsync(nuspec, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Xml.XmlException)
        {
            var reason = SecretMasker.ForLog(ex.Message);
            Log.LocalNuspecUnreadable(_logger, path, reason);
            return null;
        }
    }

    /// <summary>
    /// <paramref name="sourceToken"/> ends this source's part (its own time limit, or the lookup's); when
    /// <paramref name="cancellationToken"/>, the lookup's, ends, the source's failure is not the source's fault.
    /// </summary>
    private async Task<SourceAnswer> AskAsync(IPackageSource client, string id, NuGetVersion? installed, CancellationToken sourceToken, CancellationToken cancellationToken)
    {
        var vulnerabilities = VulnerabilitiesAsync(client, sourceToken, cancellationToken);
        var started = _time.GetTimestamp();
        try
        {
            var entries = await client.GetVersionsAsync(id, installed, sourceToken);
            Measure(client, entries is null ? "not_found" : "found", started);
            if (client.Health.Succeeded())
            {
                Log.SourceRecovered(_logger, client.DisplayName);
            }

            return new SourceAnswer(client, entries, null, await vulnerabilities);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Measure(client, "failed", started);
            var reason = ex is OperationCanceledException ? $"no answer within {_sourceTimeout}" : SecretMasker.ForLog(ex.Message);
            Log.SourceFailed(_logger, id, client.DisplayName, reason);
            if (ex is FeedResponseTooLargeException tooLarge && client.Health.OversizeToReport())
            {
                Log.AnswerTooLarge(_logger, client.DisplayName, id, tooLarge.Limit);
            }

            if (client.Health.Failed(out var failingFor))
            {
                Log.SourceUnreachable(_logger, client.DisplayName, failingFor, reason);
            }

            return new SourceAnswer(client, null, ex, null);
        }
    }

    private void Measure(IPackageSource client, string outcome, long started)
    {
        if (_telemetry is null)
        {
            return;
        }

        KeyValuePair<string, object?>[] tags =
        [
            new("anxmonitoring.registry.outcome", outcome),
            new("anxmonitoring.registry.source", client.Source.IsLocal ? "local" : client.Source.SourceUri.Host),
        ];
        _telemetry.Lookups.Add(1, tags);
        _telemetry.LookupDuration.Record(_time.GetElapsedTime(started).TotalSeconds, tags);
    }

    /// <summary>The source's vulnerability data; null when it has none or it cannot be read (the registration entries then count).</summary>
    private async Task<VulnerabilityDatabase?> VulnerabilitiesAsync(IPackageSource client, CancellationToken sourceToken, CancellationToken cancellationToken)
    {
        try
        {
            var database = await client.GetVulnerabilitiesAsync(sourceToken);
            if (database?.TakeNotice() == true)
            {
                _telemetry?.CountRejected("feed", "value", database.RejectedUrls);
                Log.VulnerabilityDataBounded(_logger, client.DisplayName, database.SkippedFiles, VulnerabilityDatabase.MaxFiles,
                    database.SkippedAdvisories, VulnerabilityDatabase.MaxAdvisories, database.RejectedUrls);
            }

            return database;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var reason = ex is OperationCanceledException ? $"not read within {_sourceTimeout}" : SecretMasker.ForLog(ex.Message);
            Log.VulnerabilityDataFailed(_logger, client.DisplayName, reason);
            return null;
        }
    }

    private sealed record SourceAnswer(IPackageSource Client, IReadOnlyList<PackageVersionEntry>? Entries, Exception? Error, VulnerabilityDatabase? Vulnerabilities);

    internal static partial class Log
    {
        [LoggerMessage(EventId = 301, EventName = "PackageSourceFailed", Level = LogLevel.Debug,
            Message = "Looking up {PackageId} on {PackageSource} failed: {Reason}")]
        public static partial void SourceFailed(ILogger logger, string packageId, string packageSource, string reason);

        [LoggerMessage(EventId = 302, EventName = "NuspecFailed", Level = LogLevel.Debug,
            Message = "Reading the nuspec of {PackageId} {Version} from {PackageSource} failed: {Reason}")]
        public static partial void NuspecFailed(ILogger logger, string packageId, NuGetVersion version, string packageSource, string reason);

        [LoggerMessage(EventId = 303, EventName = "LocalNuspecUnreadable", Level = LogLevel.Debug,
            Message = "The local nuspec {Path} cannot be read: {Reason}")]
        public static partial void LocalNuspecUnreadable(ILogger logger, string path, string reason);

        [LoggerMessage(EventId = 305, EventName = "VulnerabilityDataFailed", Level = LogLevel.Debug,
            Message = "Reading the vulnerability data of {PackageSource} failed; its registration entries are used instead: {Reason}")]
        public static partial void VulnerabilityDataFailed(ILogger logger, string packageSource, string reason);

        [LoggerMessage(EventId = 306, EventName = "PackageSourceUnreachable", Level = LogLevel.Warning,
            Message = "Every lookup on the package source {PackageSource} has failed for {FailingFor}, so modules answers null for what only it knows; last error: {Reason}")]
        public static partial void SourceUnreachable(ILogger logger, string packageSource, TimeSpan failingFor, string reason);

        [LoggerMessage(EventId = 308, EventName = "PackageSourceAnswerTooLarge", Level = LogLevel.Warning,
            Message = "The package source {PackageSource} answered the lookup of {PackageId} with more than {Limit} bytes (MaxFeedResponseBytes); such lookups fail and are retried after ModulesFailureCacheLifetime (told once per ModulesFailureCacheLifetime for this source).")]
        public static partial void AnswerTooLarge(ILogger logger, string packageSource, string packageId, long limit);

        [LoggerMessage(EventId = 309, EventName = "VulnerabilityDataBounded", Level = LogLevel.Warning,
            Message = "The vulnerability data of {PackageSource} goes beyond what is kept: {SkippedFiles} files over the {MaxFiles} read, {SkippedAdvisories} advisories over the {MaxAdvisories} kept, {RejectedUrls} advisories without an http(s) address dropped.")]
        public static partial void VulnerabilityDataBounded(ILogger logger, string packageSource, int skippedFiles, int maxFiles, int skippedAdvisories, int maxAdvisories, int rejectedUrls);

        [LoggerMessage(EventId = 307, EventName = "PackageSourceRecovered", Level = LogLevel.Information,
            Message = "The package source {PackageSource} answers again.")]
        public static partial void SourceRecovered(ILogger logger, string packageSource);

        [LoggerMessage(EventId = 304, EventName = "NuGetConfigUnreadable", Level = LogLevel.Warning,
            Message = "The machine's NuGet.Config cannot be read ({Reason}); only the configured package sources are used.")]
        public static partial void NuGetConfigUnreadable(ILogger logger, string reason);
    }
}
