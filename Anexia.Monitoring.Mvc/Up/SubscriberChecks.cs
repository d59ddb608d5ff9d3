using System.Runtime.CompilerServices;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// The <see cref="MonitorUpCheck"/> subscribers of the <see cref="EventAggregator"/>, in subscription order, as they
/// are at the moment of the run: a check subscribed after start-up runs from the next run on.
/// </summary>
internal sealed class SubscriberChecks(EventAggregator events) : IUpCheckProvider
{
    private readonly EventAggregator _events = events;

    // One check per subscription for as long as the subscription lives.
    private readonly ConditionalWeakTable<EventSubscription<MonitorUpCheck>, UpCheck> _checks = [];

    public IEnumerable<UpCheck> Checks => _events.GetSubscriptions<MonitorUpCheck>()
        .Select(subscription => _checks.GetValue(subscription, static s => UpCheck.Of(s.Name, s.Handler)));
}
