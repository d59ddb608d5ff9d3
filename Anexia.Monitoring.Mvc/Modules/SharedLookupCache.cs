using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The lookups of every replica of the application, kept in the host's distributed cache (its
/// <see cref="IDistributedCache"/>, such as Redis through <c>AddStackExchangeRedisCache</c>) beside each replica's own
/// cache: a replica reads the shared entry before it asks the registry, and writes what it looked up. On when the host
/// registered a distributed cache that is really shared (the in-memory one some frameworks register by default is not)
/// and <see cref="AnxMonitoringOptions.UseDistributedCache"/> is not off. Keys carry this library's data-format version,
/// a fingerprint of the package sources and the package id and installed version. Every call is bounded in time; a
/// cache that fails (down, slow, garbage in an entry) is left alone for a while, each replica looks its packages up
/// itself meanwhile, and the log says so once (and once more when it works again).
/// </summary>
internal sealed partial class SharedLookupCache
{
    /// <summary>Raised when the stored format changes, so that replicas of different versions do not read each other's entries.</summary>
    public const string FormatVersion = "v1";

    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(30);

    private readonly IDistributedCache? _cache;
    private readonly TimeProvider _time;
    private readonly ILogger<SharedLookupCache> _logger;
    private readonly string _prefix;
    private long _pausedUntil = long.MinValue;
    private int _failing;

    public SharedLookupCache(IServiceProvider services, IOptionsMonitor<AnxMonitoringOptions> options, TimeProvider time, ILogger<SharedLookupCache> logger)
    {
        var settings = options.CurrentValue;
        var cache = services.GetService(typeof(IDistributedCache)) as IDistributedCache;
        _cache = settings.UseDistributedCache && cache is not null and not MemoryDistributedCache ? cache : null;
        _time = time;
        _logger = logger;
        IEnumerable<string> configured = settings.PackageSources.Count > 0 ? settings.PackageSources : [NuGet.Configuration.NuGetConstants.V3FeedUrl];
        var sources = string.Join("\n", configured.Select(s => s.Trim().TrimEnd('/').ToUpperInvariant()).Order(StringComparer.Ordinal))
            + (settings.UseNuGetConfig ? "\nNUGET.CONFIG" : string.Empty);
        _prefix = $"anx-monitoring:{FormatVersion}:{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sources)))[..16]}:";
    }

    /// <summary>Whether a shared cache is in use.</summary>
    public bool IsEnabled => _cache is not null;

    /// <summary>The shared entry of a package, when there is a readable one that has not expired by this replica's clock.</summary>
    public async Task<(ModuleInfo Info, DateTimeOffset ExpiresAt)?> GetAsync(InstalledPackage package, CancellationToken cancellationToken)
    {
        if (_cache is null || IsPaused())
        {
            return null;
        }

        byte[]? bytes;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CallTimeout);
            bytes = await _cache.GetAsync(Key(package), timeout.Token).WaitAsync(CallTimeout, _time, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Failed(ex);
            return null;
        }

        Worked();
        if (bytes is null || Read(bytes) is not { } entry || entry.ExpiresAt <= _time.GetUtcNow())
        {
            return null;
        }

        return (entry.ToModuleInfo(), entry.ExpiresAt);
    }

    /// <summary>Shares what this replica looked up, until <paramref name="expiresAt"/>; never waits longer than the call bound.</summary>
    public async Task SetAsync(InstalledPackage package, ModuleInfo info, DateTimeOffset expiresAt)
    {
        if (_cache is null || IsPaused())
        {
            return;
        }

        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(Entry.From(info, expiresAt), SharedLookupJsonContext.Default.Entry);
            using var timeout = new CancellationTokenSource(CallTimeout, _time);
            await _cache.SetAsync(Key(package), bytes, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = expiresAt - _time.GetUtcNow() }, timeout.Token)
                .WaitAsync(CallTimeout, _time, CancellationToken.None);
            Worked();
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
    }

    private string Key(InstalledPackage package) => $"{_prefix}{package.Name.ToLowerInvariant()}/{package.Version.ToLowerInvariant()}";

    private bool IsPaused() => _time.GetTimestamp() < Interlocked.Read(ref _pausedUntil);

    private void Failed(Exception exception)
    {
        Interlocked.Exchange(ref _pausedUntil, _time.GetTimestamp() + (long)(PauseAfterFailure.TotalSeconds * _time.TimestampFrequency));
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            var reason = exception is OperationCanceledException or TimeoutException
                ? $"no answer within {CallTimeout.TotalSeconds:0} s"
                : SecretMasker.Apply(exception.Message);
            Log.Unavailable(_logger, PauseAfterFailure, reason);
        }
    }

    private void Worked()
    {
        if (Interlocked.Exchange(ref _failing, 0) == 1)
        {
            Log.Available(_logger);
        }
    }

    private Entry? Read(byte[] bytes)
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, SharedLookupJsonContext.Default.Entry);
        }
        catch (JsonException ex)
        {
            Failed(ex);
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 321, EventName = "SharedCacheUnavailable", Level = LogLevel.Warning,
            Message = "The distributed cache cannot be used ({Reason}); this instance looks its packages up itself and tries the cache again after {Pause}.")]
        public static partial void Unavailable(ILogger logger, TimeSpan pause, string reason);

        [LoggerMessage(EventId = 322, EventName = "SharedCacheAvailable", Level = LogLevel.Information,
            Message = "The distributed cache works again; package lookups are shared again.")]
        public static partial void Available(ILogger logger);
    }

    /// <summary>One shared lookup result, as stored.</summary>
    internal sealed class Entry
    {
        public string? Newest { get; set; }

        public List<string> InstalledLicences { get; set; } = [];

        public List<string> NewestLicences { get; set; } = [];

        public List<Advisory> Vulnerabilities { get; set; } = [];

        public Deprecated? Deprecation { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public static Entry From(ModuleInfo info, DateTimeOffset expiresAt) => new()
        {
            Newest = info.NewestVersion?.ToNormalizedString(),
            InstalledLicences = [.. info.InstalledLicences],
            NewestLicences = [.. info.NewestLicences],
            Vulnerabilities = [.. info.InstalledVulnerabilities.Select(v => new Advisory { Severity = (int)v.Severity, Url = v.AdvisoryUrl })],
            Deprecation = info.InstalledDeprecation is { } d ? new Deprecated { Reasons = [.. d.Reasons], Message = d.Message, Alternative = d.Alternative } : null,
            ExpiresAt = expiresAt,
        };

        public ModuleInfo ToModuleInfo() => new(
            Newest is not null && NuGetVersion.TryParse(Newest, out var newest) ? newest : null,
            InstalledLicences,
            NewestLicences)
        {
            InstalledVulnerabilities = [.. Vulnerabilities
                .Where(v => !string.IsNullOrEmpty(v.Url) && KnownVulnerability.ToSeverity(v.Severity) is not null)
                .Select(v => new KnownVulnerability(KnownVulnerability.ToSeverity(v.Severity)!.Value, v.Url!))],
            InstalledDeprecation = Deprecation is { } d ? new PackageDeprecation(d.Reasons, d.Message, d.Alternative) : null,
        };
    }

    /// <summary>A known vulnerability, as stored.</summary>
    internal sealed class Advisory
    {
        public int Severity { get; set; }

        public string? Url { get; set; }
    }

    /// <summary>A deprecation, as stored.</summary>
    internal sealed class Deprecated
    {
        public List<string> Reasons { get; set; } = [];

        public string? Message { get; set; }

        public string? Alternative { get; set; }
    }
}

/// <summary>The source-generated System.Text.Json metadata of <see cref="SharedLookupCache.Entry"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SharedLookupCache.Entry))]
internal sealed partial class SharedLookupJsonContext : JsonSerializerContext;
