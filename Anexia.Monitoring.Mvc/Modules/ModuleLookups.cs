using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// What is known of every installed package and of the ASP.NET Core framework, looked up through
/// <see cref="PackageRegistry"/>: each once per cache lifetime however many requests arrive (concurrent requests share
/// one lookup), at most <see cref="AnxMonitoringOptions.LookupConcurrency"/> at a time, each bounded by
/// <see cref="AnxMonitoringOptions.LookupTimeout"/>; a failure is remembered for
/// <see cref="AnxMonitoringOptions.ModulesFailureCacheLifetime"/>. Stale data stays while it is refreshed behind.
/// With a shared cache (<see cref="SharedLookupCache"/>), another instance's lookup is taken before the registry is
/// asked, and this instance's lookups are shared; each entry's own expiry carries up to a tenth of jitter. The running
/// runtime is looked up the same way through <see cref="ReleaseMetadata"/>, but no answer waits for it.
/// </summary>
internal sealed partial class ModuleLookups(
    InstalledModules installed,
    PackageRegistry registry,
    ReleaseMetadata releases,
    SharedLookupCache shared,
    IOptions<AnxMonitoringOptions> options,
    TimeProvider time,
    ILogger<ModuleLookups> logger,
    Telemetry.AnxMonitoringTelemetry? telemetry = null)
    : IDisposable
{
    private readonly PackageRegistry _registry = registry;
    private readonly ReleaseMetadata _releases = releases;
    private readonly SharedLookupCache _shared = shared;
    private readonly Telemetry.AnxMonitoringTelemetry? _telemetry = telemetry;
    private readonly AnxMonitoringOptions _options = options.Value;
    private readonly TimeProvider _time = time;
    private readonly ILogger<ModuleLookups> _logger = logger;
    private readonly SemaphoreSlim _limiter = new(options.Value.LookupConcurrency);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task<Module[]>> _modules = new(async () => [.. (await installed.GetAsync(CancellationToken.None)).Select(p => new Module(p))]);
    private int _version;

    /// <summary>The ASP.NET Core framework, looked up like a package (its reference pack).</summary>
    public Module Framework { get; } = new Module(new InstalledPackage(RuntimeVersions.FrameworkPackageId, RuntimeVersions.Framework));

    /// <summary>The running .NET runtime, looked up in the release metadata; null when that is switched off.</summary>
    public Module? Runtime { get; } = releases.Index is null ? null : new Module(new InstalledPackage(RuntimeLookupId(releases.Index), RuntimeVersions.PlatformRelease));

    /// <summary>Moves whenever a lookup ends, so that a prepared answer knows it is out of date.</summary>
    public int Version => Volatile.Read(ref _version);

    /// <summary>The installed packages' entries once they are known; empty before (for the metrics' gauges).</summary>
    internal IReadOnlyList<Module> TryGetModules() => _modules.IsValueCreated && _modules.Value.IsCompletedSuccessfully ? _modules.Value.Result : [];

    /// <summary>The installed packages' entries, in the order <c>modules</c> lists them.</summary>
    public Task<Module[]> GetModulesAsync(CancellationToken cancellationToken) => _modules.Value.WaitAsync(cancellationToken);

    /// <summary>
    /// Starts the lookups of modules with no data or stale data and waits for those with no data until
    /// <paramref name="deadline"/> after <paramref name="startedAt"/> (the request's arrival); infinite waits for all.
    /// The runtime's lookup is started too, but waited for only by an infinite deadline (the command line).
    /// </summary>
    public async Task EnsureFreshAsync(TimeSpan deadline, long startedAt, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var modules = await GetModulesAsync(cancellationToken);
        var now = _time.GetUtcNow();
        var pending = new List<Task>();
        var fresh = 0;
        foreach (var module in modules.Append(Framework))
        {
            if (EnsureFresh(module, now) is { } refresh)
            {
                if (module.Value is null)
                {
                    pending.Add(refresh);
                }
            }
            else
            {
                fresh++;
            }
        }

        if (Runtime is not null && EnsureFresh(Runtime, now) is { } runtime && deadline == Timeout.InfiniteTimeSpan)
        {
            pending.Add(runtime);
        }

        CountHits("process", fresh);

        if (pending.Count > 0)
        {
            var remaining = deadline == Timeout.InfiniteTimeSpan ? deadline : deadline - _time.GetElapsedTime(startedAt);
            await WaitAsync(pending, remaining > TimeSpan.Zero || remaining == Timeout.InfiniteTimeSpan ? remaining : TimeSpan.Zero, deadline, progress, cancellationToken);
        }
    }

    /// <summary>
    /// The runtime's status as known now, starting its lookup when it has none or stale data; null when it is switched
    /// off or not known yet. Never waits: an `up` run must not wait for a release server.
    /// </summary>
    public ModuleInfo? GetRuntime()
    {
        if (Runtime is null)
        {
            return null;
        }

        EnsureFresh(Runtime, _time.GetUtcNow());
        return Runtime.Value;
    }

    /// <summary>The lookups in flight now (for tests and benchmarks that wait until an instance is settled).</summary>
    internal async Task WhenIdleAsync()
    {
        var modules = await GetModulesAsync(CancellationToken.None);
        Task[] running;
        do
        {
            running = [.. modules.Append(Framework).Append(Runtime).Select(m => m?.Refresh).OfType<Task>()];
            await Task.WhenAll(running);
        }
        while (running.Length > 0);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _limiter.Dispose();
    }

    private async Task WaitAsync(List<Task> pending, TimeSpan remaining, TimeSpan deadline, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var all = Task.WhenAll(pending);
        if (progress is not null)
        {
            while (!all.IsCompleted)
            {
                progress.Report((pending.Count(t => t.IsCompleted), pending.Count));
                await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(1), _time, cancellationToken));
            }

            progress.Report((pending.Count, pending.Count));
        }

        try
        {
            await (remaining == Timeout.InfiniteTimeSpan ? all.WaitAsync(cancellationToken) : all.WaitAsync(remaining, _time, cancellationToken));
        }
        catch (TimeoutException)
        {
            var unresolved = pending.Count(t => !t.IsCompleted);
            Log.DeadlinePassed(_logger, unresolved, deadline);
        }
    }

    /// <summary>Starts a lookup when the module has no data or stale data and none is running; returns the running lookup, if any.</summary>
    private Task? EnsureFresh(Module module, DateTimeOffset now)
    {
        lock (module.Gate)
        {
            if (module.Refresh is not null)
            {
                return module.Refresh;
            }

            if (module.Value is not null && now < module.ExpiresAt)
            {
                return null;
            }

            module.Refresh = Task.Run(() => RefreshAsync(module));
            return module.Refresh;
        }
    }

    private async Task RefreshAsync(Module module)
    {
        var acquired = false;
        try
        {
            // Another instance's lookup, unless it is in the last tenth of its life: the instance whose own entry
            // expires first (each is jittered) then refreshes it for all, instead of all of them at once.
            var lifetime = _options.ModulesCacheLifetime;
            using var activity = Telemetry.AnxMonitoringTelemetry.Source.StartActivity("anxmonitoring.registry.lookup");
            activity?.SetTag("anxmonitoring.package.id", module.Package.Name);
            if (await _shared.GetAsync(module.Package, _stopping.Token) is { } shared && shared.ExpiresAt - _time.GetUtcNow() > lifetime / 10)
            {
                Store(module, shared.Info, shared.ExpiresAt - Jitter(lifetime));
                CountHits("shared", 1);
                activity?.SetTag("anxmonitoring.registry.outcome", "shared");
                return;
            }

            await _limiter.WaitAsync(_stopping.Token);
            acquired = true;
            using var timeout = new CancellationTokenSource(_options.LookupTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            ModuleInfo info;
            try
            {
                info = module == Runtime
                    ? await _releases.LookupAsync(module.Package.Version, linked.Token)
                    : await _registry.LookupAsync(module.Package.Name, module.Package.Version, linked.Token);

                activity?.SetTag("anxmonitoring.registry.outcome", info.NewestVersion is null ? "not_found" : "found");
            }
            catch (Exception ex)
            {
                activity?.SetTag("anxmonitoring.registry.outcome", "failed");
                Telemetry.AnxMonitoringTelemetry.RecordException(activity, ex);
                throw;
            }

            var now = _time.GetUtcNow();
            Store(module, info, now + lifetime - Jitter(lifetime));
            await _shared.SetAsync(module.Package, info, now + lifetime);
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            var reason = ex is OperationCanceledException ? $"no answer within {_options.LookupTimeout}" : SecretMasker.ForLog(ex.Message);
            Log.LookupFailed(_logger, module.Package.Name, _options.ModulesFailureCacheLifetime, reason);

            Store(module, module.Value ?? ModuleInfo.Unknown, _time.GetUtcNow() + _options.ModulesFailureCacheLifetime);
        }
        catch (OperationCanceledException)
        {
            // The application is stopping.
        }
        finally
        {
            if (acquired && !_stopping.IsCancellationRequested)
            {
                _limiter.Release();
            }

            lock (module.Gate)
            {
                module.Refresh = null;
            }

            Interlocked.Increment(ref _version);
        }
    }

    private static void Store(Module module, ModuleInfo info, DateTimeOffset expiresAt)
    {
        lock (module.Gate)
        {
            module.Value = info;
            module.ExpiresAt = expiresAt;
        }
    }

    private void CountHits(string level, int count)
    {
        if (count > 0)
        {
            _telemetry?.CacheHits.Add(count, new KeyValuePair<string, object?>("anxmonitoring.cache.level", level));
        }
    }

    /// <summary>
    /// The runtime's name in the shared cache: no NuGet id (':' is not allowed in one), so that it never meets a package's,
    /// and bound to the index, so that replicas reading another mirror do not share it.
    /// </summary>
    private static string RuntimeLookupId(Uri index) =>
        "dotnet:runtime:" + Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(index.AbsoluteUri)))[..12];

    /// <summary>Up to a tenth of the lifetime, at random, so that instances started together do not refresh together.</summary>
    private static TimeSpan Jitter(TimeSpan lifetime) => lifetime * (Random.Shared.NextDouble() / 10);

    private static partial class Log
    {
        [LoggerMessage(EventId = 311, EventName = "ModuleLookupFailed", Level = LogLevel.Debug,
            Message = "Looking up the package {PackageId} failed; asking again in {RetryAfter}: {Reason}")]
        public static partial void LookupFailed(ILogger logger, string packageId, TimeSpan retryAfter, string reason);

        [LoggerMessage(EventId = 312, EventName = "ModulesDeadlinePassed", Level = LogLevel.Debug,
            Message = "{Unresolved} package lookups were unresolved after {Deadline}; answered as null for now.")]
        public static partial void DeadlinePassed(ILogger logger, int unresolved, TimeSpan deadline);

    }

    /// <summary>One installed package and what is known of it.</summary>
    internal sealed class Module(InstalledPackage package)
    {
        public Lock Gate { get; } = new();

        public InstalledPackage Package { get; } = package;

        public ModuleInfo? Value { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public Task? Refresh { get; set; }
    }
}
