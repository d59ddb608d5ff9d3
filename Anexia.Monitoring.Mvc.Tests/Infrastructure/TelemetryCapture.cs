using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>
/// Listens to the library's meters and activity source, as an OpenTelemetry SDK would, and keeps what it saw for
/// assertions. Each measurement remembers the meter factory (so, the host) it came from.
/// </summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _spans;
    private readonly ConcurrentQueue<(object? Scope, string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private IMeterFactory? _host;

    public TelemetryCapture()
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Anexia.Monitoring.Mvc")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _meters.Start();
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Anexia.Monitoring.Mvc",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity => Spans.Enqueue(activity),
        };
        ActivitySource.AddActivityListener(_spans);
    }

    public ConcurrentQueue<Activity> Spans { get; } = new();

    /// <summary>From now on, <see cref="Of"/> answers for this host's meter only.</summary>
    public void OnlyFrom(IServiceProvider host) => _host = host.GetRequiredService<IMeterFactory>();

    /// <summary>Asks the observable gauges for their current values.</summary>
    public void ObserveGauges() => _meters.RecordObservableInstruments();

    public IEnumerable<(double Value, Dictionary<string, object?> Tags)> Of(string instrument) =>
        _measurements.Where(m => m.Instrument == instrument && (_host is null || ReferenceEquals(m.Scope, _host))).Select(m => (m.Value, m.Tags));

    public void Dispose()
    {
        _meters.Dispose();
        _spans.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue((instrument.Meter.Scope, instrument.Name, value, copy));
    }
}
