namespace Anexia.Monitoring.Mvc;

/// <summary>One subscription of an <see cref="IEventAggregator"/>.</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
internal sealed class EventSubscription<TEvent>
    where TEvent : class
{
    public EventSubscription(string name, Func<TEvent, CancellationToken, Task> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(handler);
        Name = name;
        Handler = handler;
    }

    /// <summary>The name shown in messages about this subscriber.</summary>
    public string Name { get; }

    public Func<TEvent, CancellationToken, Task> Handler { get; }
}
