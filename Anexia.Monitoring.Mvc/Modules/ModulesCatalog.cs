using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The <c>modules</c> answer, cached. Every package is looked up once per cache lifetime however many requests
/// arrive (concurrent requests share one lookup), at most <see cref="AnxMonitoringOptions.LookupConcurrency"/> at
/// a time, each bounded by <see cref="AnxMonitoringOptions.LookupTimeout"/>. A warm answer is prepared bytes; a
/// stale one is answered at once while it is refreshed behind; a request waits for missing data at most
/// <see cref="AnxMonitoringOptions.ModulesDeadline"/>, counted from its arrival, and answers nulls for what is still
/// unresolved. Nothing on a request's path blocks a thread: the installed packages are read once on the thread pool
/// and awaited, so a request arriving during start-up waits for them without holding a thread.
/// </summary>
internal sealed partial class ModulesCatalog : IDisposable
{
    private readonly IInstalledPackageSource _installedSource;
    private readonly PackageRegistry _registry;
    private readonly AnxMonitoringOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ModulesCatalog> _logger;
    private readonly SemaphoreSlim _limiter;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lazy<Task<Module[]>> _modules;
    private readonly Lazy<Module> _framework;
    private int _version;
    private Prepared? _prepared;

    public ModulesCatalog(
        IInstalledPackageSource installedSource,
        PackageRegistry registry,
        IOptions<AnxMonitoringOptions> options,
        TimeProvider time,
        ILogger<ModulesCatalog> logger)
    {
        _installedSource = installedSource;
        _registry = registry;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _limiter = new SemaphoreSlim(_options.LookupConcurrency);
        _modules = new Lazy<Task<Module[]>>(() => Task.Run(LoadModules));
        _framework = new Lazy<Module>(() => new Module(new InstalledPackage(RuntimeVersions.FrameworkPackageId, RuntimeVersions.Framework)));
    }

    /// <summary>The answer, waiting for missing data at most <see cref="AnxMonitoringOptions.ModulesDeadline"/>.</summary>
    public ValueTask<byte[]> GetReportAsync(CancellationToken cancellationToken)
    {
        var prepared = Volatile.Read(ref _prepared);
        if (prepared is not null && prepared.Version == Volatile.Read(ref _version) && _time.GetUtcNow() < prepared.ValidUntil)
        {
            return ValueTask.FromResult(prepared.Bytes);
        }

        return new ValueTask<byte[]>(BuildAsync(_options.ModulesDeadline, _time.GetTimestamp(), null, cancellationToken));
    }

    /// <summary>The answer once every lookup has ended (each still bounded by its own timeout), for the command line.</summary>
    public Task<byte[]> GetCompleteReportAsync(IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken) =>
        BuildAsync(Timeout.InfiniteTimeSpan, _time.GetTimestamp(), progress, cancellationToken);

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
        _limiter.Dispose();
    }

    /// <summary>
    /// One <c>WARNING:</c> text per known vulnerability of an installed package at or above <paramref name="minimum"/>,
    /// from the same cached data as the <c>modules</c> answer (waiting for missing data at most
    /// <see cref="AnxMonitoringOptions.ModulesDeadline"/>), in module order.
    /// </summary>
    public async Task<IReadOnlyList<string>> GetVulnerabilityWarningsAsync(VulnerabilitySeverity minimum, CancellationToken cancellationToken)
    {
        await EnsureFreshAsync(_options.ModulesDeadline, _time.GetTimestamp(), null, cancellationToken);
        var warnings = new List<string>();
        foreach (var module in await _modules.Value)
        {
            foreach (var vulnerability in module.Value?.InstalledVulnerabilities ?? [])
            {
                if (vulnerability.Severity >= minimum)
                {
                    warnings.Add($"{module.Package.Name} {module.Package.Version} has a known {vulnerability.SeverityName} vulnerability ({vulnerability.AdvisoryUrl})");
                }
            }
        }

        return warnings;
    }

    private async Task<byte[]> BuildAsync(TimeSpan deadline, long startedAt, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        await EnsureFreshAsync(deadline, startedAt, progress, cancellationToken);
        var modules = await _modules.Value;
        var framework = _framework.Value;

        var version = Volatile.Read(ref _version);
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
            Volatile.Write(ref _prepared, new Prepared(bytes, version, validUntil));
        }

        return bytes;
    }

    /// <summary>
    /// Starts the lookups of modules with no data or stale data and waits for those with no data until
    /// <paramref name="deadline"/> after <paramref name="startedAt"/> (the request's arrival).
    /// </summary>
    private async Task EnsureFreshAsync(TimeSpan deadline, long startedAt, IProgress<(int Done, int Total)>? progress, CancellationToken cancellationToken)
    {
        var modules = await _modules.Value.WaitAsync(cancellationToken);
        var now = _time.GetUtcNow();
        var pending = new List<Task>();
        foreach (var module in modules.Append(_framework.Value))
        {
            if (EnsureFresh(module, now) is { } refresh && module.Value is null)
            {
                pending.Add(refresh);
            }
        }

        if (pending.Count > 0)
        {
            var remaining = deadline == Timeout.InfiniteTimeSpan ? deadline : deadline - _time.GetElapsedTime(startedAt);
            await WaitAsync(pending, remaining > TimeSpan.Zero || remaining == Timeout.InfiniteTimeSpan ? remaining : TimeSpan.Zero, deadline, progress, cancellationToken);
        }
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
            await _limiter.WaitAsync(_stopping.Token);
            acquired = true;
            using var timeout = new CancellationTokenSource(_options.LookupTimeout, _time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
            var info = await _registry.LookupAsync(module.Package.Name, module.Package.Version, linked.Token);
            Store(module, info, _options.ModulesCacheLifetime);
        }
        catch (Exception ex) when (!_stopping.IsCancellationRequested)
        {
            Log.LookupFailed(_logger, module.Package.Name, _options.ModulesFailureCacheLifetime, ex.Message);
            Store(module, module.Value ?? ModuleInfo.Unknown, _options.ModulesFailureCacheLifetime);
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

    private void Store(Module module, ModuleInfo info, TimeSpan lifetime)
    {
        lock (module.Gate)
        {
            module.Value = info;
            module.ExpiresAt = _time.GetUtcNow() + lifetime;
        }
    }

    private Module[] LoadModules()
    {
        var installed = _installedSource.GetPackages();
        if (installed is null)
        {
            Log.NoDependencyManifest(_logger);
            return [];
        }

        var excluded = _options.ExcludeModules.Select(ToRegex).ToList();
        return installed
            .Where(p => !excluded.Exists(pattern => pattern.IsMatch(p.Name)))
            .OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)
            .Select(p => new Module(p))
            .ToArray();
    }

    private static Regex ToRegex(string pattern) =>
        new("^" + Regex.Escape(pattern.Trim()).Replace("\\*", ".*", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static partial class Log
    {
        [LoggerMessage(EventId = 311, EventName = "ModuleLookupFailed", Level = LogLevel.Debug,
            Message = "Looking up the package {PackageId} failed; asking again in {RetryAfter}: {Reason}")]
        public static partial void LookupFailed(ILogger logger, string packageId, TimeSpan retryAfter, string reason);

        [LoggerMessage(EventId = 312, EventName = "ModulesDeadlinePassed", Level = LogLevel.Debug,
            Message = "{Unresolved} package lookups were unresolved after {Deadline}; answered as null for now.")]
        public static partial void DeadlinePassed(ILogger logger, int unresolved, TimeSpan deadline);

        [LoggerMessage(EventId = 313, EventName = "NoDependencyManifest", Level = LogLevel.Warning,
            Message = "The application carries no deps.json (single-file or trimmed publish?), so /anxapi/v1/modules lists no modules; the runtime is still reported.")]
        public static partial void NoDependencyManifest(ILogger logger);
    }

    /// <summary>One installed package and what is known of it.</summary>
    private sealed class Module(InstalledPackage package)
    {
        public Lock Gate { get; } = new();

        public InstalledPackage Package { get; } = package;

        public ModuleInfo? Value { get; set; }

        public DateTimeOffset ExpiresAt { get; set; }

        public Task? Refresh { get; set; }
    }

    private sealed record Prepared(byte[] Bytes, int Version, DateTimeOffset ValidUntil);
}
