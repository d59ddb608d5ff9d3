namespace Anexia.Monitoring.Mvc;

/// <summary>One subscription of an <see cref="IEventAggregator"/>.</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
internal sealed class EventSubscription<TEvent>
    where TEvent : class
{
    /// <summary>Creates a subscription.</summary>
    /// <param name="name">The name shown in messages about this subscriber.</param>
    /// <param name="handler">The subscriber.</param>
    public EventSubscription(string name, Func<TEvent, CancellationToken, Task> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(handler);
        Name = name;
        Handler = handler;
    }

    /// <summary>The name shown in messages about this subscriber.</summary>
    public string Name { get; }

    /// <summary>The subscriber.</summary>
    public Func<TEvent, CancellationToken, Task> Handler { get; }
}
