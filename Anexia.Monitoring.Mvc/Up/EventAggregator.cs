namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// The library's <see cref="IEventAggregator"/>: copy-on-write lists per event type, so a check run reads a
/// snapshot without locking. Only the event aggregator: <see cref="SubscriberChecks"/> turns its
/// <see cref="MonitorUpCheck"/> subscriptions into checks.
/// </summary>
internal sealed class EventAggregator : IEventAggregator
{
    private readonly Lock _gate = new();
    private Dictionary<Type, object[]> _subscriptions = [];
    private int _unnamedCount;

    public IDisposable Subscribe<TEvent>(Func<TEvent, CancellationToken, Task> handler)
        where TEvent : class
    {
        ArgumentNullException.ThrowIfNull(handler);
        var method = handler.Method;
        var name = method.DeclaringType is { } type && !method.Name.Contains('<', StringComparison.Ordinal) && !type.Name.Contains('<', StringComparison.Ordinal)
            ? $"{type.Name}.{method.Name}"
            : $"check #{Interlocked.Increment(ref _unnamedCount)}";
        return Subscribe(name, handler);
    }

    public IDisposable Subscribe<TEvent>(string name, Func<TEvent, CancellationToken, Task> handler)
        where TEvent : class
    {
        var subscription = new EventSubscription<TEvent>(name, handler);
        Add(subscription);
        return new Unsubscriber(this, typeof(TEvent), subscription);
    }

    public IReadOnlyList<EventSubscription<TEvent>> GetSubscriptions<TEvent>()
        where TEvent : class
    {
        return Volatile.Read(ref _subscriptions).TryGetValue(typeof(TEvent), out var list)
            ? Array.ConvertAll(list, subscription => (EventSubscription<TEvent>)subscription)
            : [];
    }

    private void Add<TEvent>(EventSubscription<TEvent> subscription)
        where TEvent : class
    {
        lock (_gate)
        {
            var next = new Dictionary<Type, object[]>(_subscriptions);
            next[typeof(TEvent)] = next.TryGetValue(typeof(TEvent), out var list) ? [.. list, subscription] : [subscription];
            Volatile.Write(ref _subscriptions, next);
        }
    }

    private void Remove(Type eventType, object subscription)
    {
        lock (_gate)
        {
            if (!_subscriptions.TryGetValue(eventType, out var list) || Array.IndexOf(list, subscription) < 0)
            {
                return;
            }

            var next = new Dictionary<Type, object[]>(_subscriptions);
            var remaining = Array.FindAll(list, s => !ReferenceEquals(s, subscription));
            if (remaining.Length == 0)
            {
                next.Remove(eventType);
            }
            else
            {
                next[eventType] = remaining;
            }

            Volatile.Write(ref _subscriptions, next);
        }
    }

    private sealed class Unsubscriber(EventAggregator owner, Type eventType, object subscription) : IDisposable
    {
        private EventAggregator? _owner = owner;

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Remove(eventType, subscription);
    }
}
