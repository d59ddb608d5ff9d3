using System.Security.Cryptography;
using System.Text;
using Anexia.Monitoring.Mvc.Security;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The lookups of every replica, kept in the host's <see cref="IDistributedCache"/> (Redis, say) beside each replica's
/// own: a replica reads the shared entry before it asks the registry, and writes what it looked up. On when the host
/// registered a cache that is really shared (not the in-memory one) and <see cref="AnxMonitoringOptions.UseDistributedCache"/>
/// is on. What comes back is input (<see cref="SharedLookupEntry"/>); docs/running-several-instances.md tells how
/// connecting, timeouts and pauses work.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim holds nothing to dispose unless its wait handle is asked for, which it never is here.")]
internal sealed partial class SharedLookupCache(
    IServiceProvider services,
    IOptions<AnxMonitoringOptions> options,
    TimeProvider time,
    ILogger<SharedLookupCache> logger,
    Telemetry.AnxMonitoringTelemetry? telemetry = null)
{
    /// <summary>Raised when the stored format changes, so that replicas of different versions do not read each other's entries.</summary>
    public const string FormatVersion = "v4";

    // The bounds of docs/running-several-instances.md: a lookup waits for the connection up to ConnectWait from the
    // first call; the connection (the first call) may take ConnectTimeout, any later call CallTimeout; three failed
    // calls in a row, or a failed connection, leave the cache alone for PauseAfterFailure.
    public static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan PauseAfterFailure = TimeSpan.FromSeconds(30);
    public const int FailuresBeforePause = 3;

    /// <summary>
    /// The most reads at once, counted until the cache client's own call ends (also after a timeout): the client
    /// receives a whole value before it hands it over, so this bounds what values of any size can cost at a time.
    /// </summary>
    public const int ConcurrentReads = 8;

    private readonly IDistributedCache? _cache =
        services.GetService(typeof(IDistributedCache)) is IDistributedCache cache and not MemoryDistributedCache && options.Value.UseDistributedCache ? cache : null;
    private readonly TimeProvider _time = time;
    private readonly ILogger<SharedLookupCache> _logger = logger;
    private readonly Telemetry.AnxMonitoringTelemetry? _telemetry = telemetry;
    private readonly TimeSpan _lifetime = options.Value.ModulesCacheLifetime;
    private readonly TimeSpan _noticeWindow = options.Value.ModulesFailureCacheLifetime;
    private readonly string _prefix = Prefix(options.Value);
    private readonly SemaphoreSlim _reads = new(ConcurrentReads);
    private readonly Lock _gate = new();
    private Task<bool>? _connecting;
    private long _firstConnect;
    private long _pausedUntil = long.MinValue;
    private int _failuresInARow;
    private int _failing;
    private long _lastRejectionNotice = long.MinValue;


    /// <summary>Starts connecting to the cache (its first call), at start-up, without waiting for it.</summary>
    public void StartConnecting()
    {
        if (_cache is not null)
        {
            _ = Connection();
        }
    }

    /// <summary>The shared entry of a package, when there is a valid one that has not expired by this replica's clock.</summary>
    public async Task<(ModuleInfo Info, DateTimeOffset ExpiresAt)?> GetAsync(InstalledPackage package, CancellationToken cancellationToken)
    {
        if (_cache is null || !await ReadyAsync(cancellationToken) || !await _reads.WaitAsync(ConnectWait, cancellationToken))
        {
            return null;
        }

        byte[]? bytes;
        Task<byte[]?>? call = null;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(CallTimeout);
            call = _cache.GetAsync(Key(package), timeout.Token);
            bytes = await call.WaitAsync(CallTimeout, _time, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Failed(ex);
            return null;
        }
        finally
        {
            if (call is null || call.IsCompleted)
            {
                _reads.Release();
            }
            else
            {
                _ = call.ContinueWith(
                    static (ended, reads) =>
                    {
                        _ = ended.Exception;
                        ((SemaphoreSlim)reads!).Release();
                    }, _reads, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }

        Worked();
        if (bytes is null)
        {
            return null;
        }

        if (SharedLookupEntry.Read(bytes, package, _time.GetUtcNow(), _lifetime) is { } entry)
        {
            return entry;
        }

        _telemetry?.CountRejected("shared_cache", "entry", 1);
        if (NoticeDue())
        {
            Log.EntryRejected(_logger, package.Name, package.Version, bytes.Length);
        }

        return null;
    }

    /// <summary>Shares what this replica looked up, until <paramref name="expiresAt"/>; never waits longer than the call bound.</summary>
    public async Task SetAsync(InstalledPackage package, ModuleInfo info, DateTimeOffset expiresAt)
    {
        if (_cache is null || !await ReadyAsync(CancellationToken.None))
        {
            return;
        }

        try
        {
            var now = _time.GetUtcNow();
            var bytes = SharedLookupEntry.Write(package, info, now, expiresAt);
            using var timeout = new CancellationTokenSource(CallTimeout, _time);
            await _cache.SetAsync(Key(package), bytes, new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = expiresAt - now }, timeout.Token)
                .WaitAsync(CallTimeout, _time, CancellationToken.None);
            Worked();
        }
        catch (Exception ex)
        {
            Failed(ex);
        }
    }

    /// <summary>The keys' prefix: the format and a hash of the sources asked, so that replicas that ask other sources share nothing.</summary>
    private static string Prefix(AnxMonitoringOptions settings)
    {
        IEnumerable<string> configured = settings.PackageSources.Count > 0 ? settings.PackageSources : [NuGet.Configuration.NuGetConstants.V3FeedUrl];
        var sources = string.Join("\n", configured.Select(s => s.Trim().TrimEnd('/').ToUpperInvariant()).Order(StringComparer.Ordinal))
            + (settings.UseNuGetConfig ? "\nNUGET.CONFIG" : string.Empty);
        return $"anx-monitoring:{FormatVersion}:{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sources)))[..16]}:";
    }

    internal string Key(InstalledPackage package) => $"{_prefix}{package.Name.ToLowerInvariant()}/{package.Version.ToLowerInvariant()}";

    /// <summary>
    /// Whether a call may be made now: connected and not paused; before the first connection, a caller waits for it
    /// until <see cref="ConnectWait"/> after the first call, and goes past the cache after that.
    /// </summary>
    private async Task<bool> ReadyAsync(CancellationToken cancellationToken)
    {
        if (IsPaused())
        {
            return false;
        }

        if (Connected)
        {
            return true;
        }

        var connection = Connection();
        var left = ConnectWait - _time.GetElapsedTime(Interlocked.Read(ref _firstConnect));
        if (connection.IsCompleted || left <= TimeSpan.Zero)
        {
            return connection.IsCompletedSuccessfully && connection.Result;
        }

        try
        {
            return await connection.WaitAsync(left, _time, cancellationToken);
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <summary>The connection attempt in flight, or a new one when the last one failed and the pause is over.</summary>
    private Task<bool> Connection()
    {
        lock (_gate)
        {
            if (_connecting is null || (_connecting.IsCompleted && !Connected && !IsPaused()))
            {
                if (_connecting is null)
                {
                    _firstConnect = _time.GetTimestamp();
                }

                _connecting = ConnectAsync();
            }

            return _connecting;
        }
    }

    private async Task<bool> ConnectAsync()
    {
        await Task.Yield();
        try
        {
            // The first call connects (and, on a cold process, compiles the client): it gets the connection's time, not a call's.
            using var timeout = new CancellationTokenSource(ConnectTimeout, _time);
            await _cache!.GetAsync(_prefix + "connect", timeout.Token).WaitAsync(ConnectTimeout, _time, CancellationToken.None);
            Worked();
            return true;
        }
        catch (Exception ex)
        {
            Pause(ex, ConnectTimeout);
            return false;
        }
    }

    /// <summary>Whether the first call has succeeded: from then on the client reconnects by itself.</summary>
    private bool Connected => Volatile.Read(ref _connecting) is { IsCompletedSuccessfully: true, Result: true };

    private bool IsPaused() => _time.GetTimestamp() < Interlocked.Read(ref _pausedUntil);

    private void Failed(Exception exception)
    {
        if (Interlocked.Increment(ref _failuresInARow) >= FailuresBeforePause)
        {
            Pause(exception, CallTimeout);
        }
    }

    private void Pause(Exception exception, TimeSpan bound)
    {
        Interlocked.Exchange(ref _failuresInARow, 0);
        Interlocked.Exchange(ref _pausedUntil, _time.GetTimestamp() + (long)(PauseAfterFailure.TotalSeconds * _time.TimestampFrequency));
        if (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            var reason = exception is OperationCanceledException or TimeoutException
                ? $"no answer within {bound.TotalSeconds:0} s"
                : SecretMasker.ForLog(exception.Message);
            Log.Unavailable(_logger, PauseAfterFailure, reason);
        }
    }

    private void Worked()
    {
        Interlocked.Exchange(ref _failuresInARow, 0);
        if (Interlocked.Exchange(ref _failing, 0) == 1)
        {
            Log.Available(_logger);
        }
    }

    private bool NoticeDue()
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastRejectionNotice);
        return (last == long.MinValue || _time.GetElapsedTime(last, now) >= _noticeWindow)
            && Interlocked.CompareExchange(ref _lastRejectionNotice, now, last) == last;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 321, EventName = "SharedCacheUnavailable", Level = LogLevel.Warning,
            Message = "The distributed cache cannot be used ({Reason}); this instance looks its packages up itself and tries the cache again after {Pause}.")]
        public static partial void Unavailable(ILogger logger, TimeSpan pause, string reason);

        [LoggerMessage(EventId = 322, EventName = "SharedCacheAvailable", Level = LogLevel.Information,
            Message = "The distributed cache works again; package lookups are shared again.")]
        public static partial void Available(ILogger logger);

        [LoggerMessage(EventId = 323, EventName = "SharedCacheEntryRejected", Level = LogLevel.Warning,
            Message = "The distributed cache's entry for {PackageId} {Version} ({Bytes} bytes) fails a check (size, shape, key, expiry or values) and is ignored; such entries are counted in anxmonitoring.input.rejected and told once per ModulesFailureCacheLifetime.")]
        public static partial void EntryRejected(ILogger logger, string packageId, string version, int bytes);
    }
}
