namespace Anexia.Monitoring.Mvc;

/// <summary>One subscription of an <see cref="IEventAggregator"/>.</summary>
/// <typeparam name="TEvent">The event type.</typeparam>
public sealed class EventSubscription<TEvent>
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

    /// <summary>
    /// For the built-in checks: whether the subscriber is switched on by the current settings. A subscriber
    /// switched off is not run at all (no scope, no thread) and reports nothing.
    /// </summary>
    internal Func<bool>? IsSwitchedOn { get; init; }

    /// <summary>
    /// For built-in checks that report several lines (one per finding): when set, it runs instead of
    /// <see cref="Handler"/> and each string it returns becomes one <c>WARNING:</c> line.
    /// </summary>
    internal Func<TEvent, CancellationToken, Task<IReadOnlyList<string>>>? WarningLines { get; init; }
}
