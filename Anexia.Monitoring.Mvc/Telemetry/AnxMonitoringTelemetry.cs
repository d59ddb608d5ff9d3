using System.Diagnostics;
using System.Diagnostics.Metrics;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Security;
using Microsoft.Extensions.DependencyInjection;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Telemetry;

/// <summary>
/// What the library shows to OpenTelemetry (or any listener of <see cref="System.Diagnostics.Metrics"/> and
/// <see cref="Activity"/>): one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both named
/// <see cref="Name"/>. Only the .NET abstractions: a host adds <c>AddMeter("Anexia.Monitoring.Mvc")</c> and
/// <c>AddSource("Anexia.Monitoring.Mvc")</c> to its OpenTelemetry set-up. docs/telemetry.md lists every instrument and span.
/// </summary>
internal sealed class AnxMonitoringTelemetry
{
    /// <summary>The name of the meter and of the activity source.</summary>
    public const string Name = "Anexia.Monitoring.Mvc";

    /// <summary>The library's spans. Static as activity sources are meant to be: it holds no state of its own.</summary>
    public static readonly ActivitySource Source = new(Name, typeof(AnxMonitoringTelemetry).Assembly.GetName().Version?.ToString(3));

    private readonly IServiceProvider _services;
    private IReadOnlyList<ModuleLookups.Module> _lastKnown = [];
    private AdvisorySuppression? _suppression;

    public AnxMonitoringTelemetry(IMeterFactory meterFactory, IServiceProvider services)
    {
        _services = services;
        var meter = meterFactory.Create(Name, typeof(AnxMonitoringTelemetry).Assembly.GetName().Version?.ToString(3));
        CheckDuration = Seconds(meter, "anxmonitoring.up.check.duration", "How long each up check took; outcome ok, warning, error or timeout.");
        UpRuns = meter.CreateCounter<long>("anxmonitoring.up.runs", "{run}",
            "Answers of up: result run (the checks ran for it) or reused (a run in flight or a finished one within UpCacheLifetime).");
        TokenRejections = meter.CreateCounter<long>("anxmonitoring.token.rejections", "{request}",
            "Requests refused for their access token, by reason.");
        Lookups = meter.CreateCounter<long>("anxmonitoring.registry.lookups", "{lookup}",
            "Package lookups on one package source: outcome found, not_found or failed; source is its host.");
        LookupDuration = Seconds(meter, "anxmonitoring.registry.lookup.duration", "How long a package lookup on one package source took.");
        CacheHits = meter.CreateCounter<long>("anxmonitoring.modules.cache.hits", "{package}",
            "Package data answered without asking the registry: level process (fresh in this instance) or shared (from the distributed cache).");
        RejectedInput = meter.CreateCounter<long>("anxmonitoring.input.rejected", "{value}",
            "Values from outside dropped before use: origin feed or shared_cache; kind value (an address that is not http(s), a malformed licence, a value over a bound) or entry (a whole shared-cache entry).");
        meter.CreateObservableGauge("anxmonitoring.packages.outdated", ObserveOutdated, "{package}",
            "Installed packages with a newer version on the package sources.");
        meter.CreateObservableGauge("anxmonitoring.packages.vulnerable", ObserveVulnerable, "{package}",
            "Installed packages with a known vulnerability, by its severity (low, moderate, high, critical).");
    }

    public Histogram<double> CheckDuration { get; }

    public Counter<long> UpRuns { get; }

    public Counter<long> TokenRejections { get; }

    public Counter<long> Lookups { get; }

    public Histogram<double> LookupDuration { get; }

    public Counter<long> CacheHits { get; }

    public Counter<long> RejectedInput { get; }

    /// <summary>Counts <paramref name="count"/> rejected values (none: nothing recorded).</summary>
    public void CountRejected(string origin, string kind, int count)
    {
        if (count > 0)
        {
            RejectedInput.Add(count, new KeyValuePair<string, object?>("anxmonitoring.input.origin", origin), new KeyValuePair<string, object?>("anxmonitoring.input.kind", kind));
        }
    }

    /// <summary>
    /// A histogram in seconds. On .NET 9 and later it advises bucket boundaries from 5 ms to 30 s (OpenTelemetry's default
    /// buckets are made for milliseconds and would put every check into the first one); on .NET 8 a host sets them with
    /// a view (docs/telemetry.md).
    /// </summary>
    private static Histogram<double> Seconds(Meter meter, string name, string description) =>
#if NET9_0_OR_GREATER
        meter.CreateHistogram(name, "s", description, tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = BucketBoundaries });
#else
        meter.CreateHistogram<double>(name, "s", description);
#endif

    /// <summary>The advised bucket boundaries of the duration histograms, in seconds.</summary>
    internal static double[] BucketBoundaries => [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    /// <summary>Records an exception on a span as OpenTelemetry's <c>exception</c> event, its message masked as the up lines are.</summary>
    public static void RecordException(Activity? activity, Exception exception)
    {
        if (activity is null)
        {
            return;
        }

        activity.SetStatus(ActivityStatusCode.Error, SecretMasker.ForLog(exception.Message));
        activity.AddEvent(new ActivityEvent("exception", tags: new ActivityTagsCollection
        {
            ["exception.type"] = exception.GetType().FullName,
            ["exception.message"] = SecretMasker.ForLog(exception.Message),
        }));
    }

    /// <summary>
    /// The modules known so far; none when the modules machinery is not there or cannot be built (settings that failed
    /// validation): a gauge's callback must never throw into the host's metrics exporter.
    /// </summary>
    private IReadOnlyList<ModuleLookups.Module> KnownModules()
    {
        try
        {
            if (_services.GetService<ModuleLookups>()?.TryGetModules() is { Count: > 0 } known)
            {
                _lastKnown = known;
                _suppression ??= _services.GetService<AdvisorySuppression>();
            }
        }
        catch (Exception ex) when (ex is Microsoft.Extensions.Options.OptionsValidationException or ObjectDisposedException or InvalidOperationException)
        {
            // The host is stopping (its services are disposed) or cannot build them: the last figures stand, not 0.
        }

        return _lastKnown;
    }

    private int ObserveOutdated() => KnownModules().Count(m =>
        m.Value?.NewestVersion is { } newest && NuGetVersion.TryParse(m.Package.Version, out var installed) && newest > installed);

    /// <summary>Suppressed advisories do not count: an alert on this gauge must not fire for what the team has set aside.</summary>
    private IEnumerable<Measurement<int>> ObserveVulnerable()
    {
        var modules = KnownModules().ToList();
        var suppression = _suppression;
        foreach (var severity in Enum.GetValues<VulnerabilitySeverity>())
        {
            var name = new KnownVulnerability(severity, string.Empty).SeverityName;
            yield return new Measurement<int>(
                modules.Count(m => m.Value?.InstalledVulnerabilities.Any(v => v.Severity == severity && suppression?.IsSuppressed(v.AdvisoryUrl) != true) == true),
                new KeyValuePair<string, object?>("severity", name));
        }
    }
}
