using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Filters;

/// <summary>
/// Throttles token guessing: each client address may fail the token check
/// <see cref="AnxMonitoringOptions.FailedTokenLimit"/> times per <see cref="AnxMonitoringOptions.FailedTokenWindow"/>
/// (a fixed window per address, started by its first failure); further failures from it get 429 with
/// <c>Retry-After</c> saying the seconds left in its window. Requests with a valid token never come here, so they are
/// never throttled. The address is <see cref="ConnectionInfo.RemoteIpAddress"/> (so the host's forwarded-headers
/// set-up applies); IPv6 addresses count per /64, the block one client usually holds. At most
/// <see cref="MaxTrackedAddresses"/> addresses are told apart per window; beyond that, new ones share one budget,
/// so memory stays bounded under a flood of distinct addresses. Also writes the one Warning per window that sums up
/// the refused requests and the addresses they came from most.
/// </summary>
internal sealed partial class FailedTokenThrottle : IDisposable
{
    /// <summary>How many client addresses are told apart per window.</summary>
    public const int MaxTrackedAddresses = 10_000;

    /// <summary>How many addresses the summary names.</summary>
    public const int SummaryAddresses = 5;

    private const string OtherAddresses = "other addresses";

    private readonly IOptions<AnxMonitoringOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<FailedTokenThrottle> _logger;
    private readonly Lock _gate = new();
    private Limiter? _limiter;

    // The current window's refusals for the summary: count per address (bounded like the limiter's partitions).
    private ConcurrentDictionary<string, int> _refusedBy = new(StringComparer.Ordinal);
    private long _refused;
    private long _throttled;
    private ITimer? _summaryTimer;

    public FailedTokenThrottle(IOptions<AnxMonitoringOptions> options, TimeProvider time, ILogger<FailedTokenThrottle> logger)
    {
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Counts one failed token check of <paramref name="context"/>'s client. True when it is within the limit (answer
    /// 401); false when the client is over it (answer 429, after <paramref name="retryAfter"/>).
    /// </summary>
    public bool AdmitFailure(HttpContext context, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(context);
        retryAfter = TimeSpan.Zero;
        var options = _options.Value;
        var address = ClientKey(context.Connection.RemoteIpAddress);
        var admitted = true;
        if (options.FailedTokenLimit > 0)
        {
            var limiter = CurrentLimiter(options.FailedTokenLimit, options.FailedTokenWindow);
            if (!limiter.TryAcquire(address, out var left))
            {
                admitted = false;
                retryAfter = left;
            }
        }

        CountForSummary(address, admitted, options.FailedTokenWindow);
        return admitted;
    }

    /// <summary>How many addresses the current limiter tells apart (for tests of the bound).</summary>
    internal int TrackedAddresses => Volatile.Read(ref _limiter)?.TrackedAddresses ?? 0;

    /// <summary>The key a client counts under: its IPv4 address, its IPv6 /64, or <c>unknown</c>.</summary>
    internal static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _summaryTimer?.Dispose();
            _summaryTimer = null;
            _limiter?.Dispose();
            _limiter = null;
        }
    }

    private Limiter CurrentLimiter(int limit, TimeSpan window)
    {
        var current = Volatile.Read(ref _limiter);
        if (current is not null && current.Limit == limit && current.Window == window)
        {
            return current;
        }

        lock (_gate)
        {
            if (_limiter is null || _limiter.Limit != limit || _limiter.Window != window)
            {
                // Other settings than the limiter was made for (options set anew): a fresh budget under them.
                _limiter?.Dispose();
                _limiter = new Limiter(limit, window, _time);
            }

            return _limiter;
        }
    }

    private void CountForSummary(string address, bool admitted, TimeSpan window)
    {
        Interlocked.Increment(ref _refused);
        if (!admitted)
        {
            Interlocked.Increment(ref _throttled);
        }

        var counts = Volatile.Read(ref _refusedBy);
        if (counts.Count < MaxTrackedAddresses || counts.ContainsKey(address))
        {
            counts.AddOrUpdate(address, 1, static (_, n) => n + 1);
        }
        else
        {
            counts.AddOrUpdate(OtherAddresses, 1, static (_, n) => n + 1);
        }

        if (Volatile.Read(ref _summaryTimer) is null)
        {
            lock (_gate)
            {
                _summaryTimer ??= _time.CreateTimer(_ => Summarise(window), null, window, Timeout.InfiniteTimeSpan);
            }
        }
    }

    private void Summarise(TimeSpan window)
    {
        ConcurrentDictionary<string, int> counts;
        long refused;
        long throttled;
        lock (_gate)
        {
            counts = Interlocked.Exchange(ref _refusedBy, new ConcurrentDictionary<string, int>(StringComparer.Ordinal));
            refused = Interlocked.Exchange(ref _refused, 0);
            throttled = Interlocked.Exchange(ref _throttled, 0);
            _summaryTimer?.Dispose();
            _summaryTimer = null;
        }

        if (refused == 0)
        {
            return;
        }

        var top = string.Join(", ", counts
            .OrderByDescending(c => c.Value)
            .ThenBy(c => c.Key, StringComparer.Ordinal)
            .Take(SummaryAddresses)
            .Select(c => $"{c.Key} ({c.Value.ToString(CultureInfo.InvariantCulture)})"));
        Log.RefusedSummary(_logger, refused, window, throttled, top);
    }

    /// <summary>
    /// Fixed windows per address on the host's <see cref="TimeProvider"/>: each address's window starts with its first
    /// failure, so the seconds left in it are known for <c>Retry-After</c>. Ended windows are dropped when the map is
    /// full (at most once per window), and beyond <see cref="MaxTrackedAddresses"/> new addresses share one window.
    /// </summary>
    private sealed class Limiter(int limit, TimeSpan window, TimeProvider time) : IDisposable
    {
        private readonly ConcurrentDictionary<string, Counter> _windows = new(StringComparer.Ordinal);
        private long _lastPurge = time.GetTimestamp();

        // The map's size, kept apart: ConcurrentDictionary.Count takes every lock, on each failed request.
        private int _tracked;

        public int Limit { get; } = limit;

        public TimeSpan Window { get; } = window;

        public int TrackedAddresses => Volatile.Read(ref _tracked);

        /// <summary>Counts one failure of <paramref name="address"/>; false when it is over the limit, with the time left in its window.</summary>
        public bool TryAcquire(string address, out TimeSpan retryAfter)
        {
            var now = time.GetTimestamp();
            if (!_windows.TryGetValue(address, out var counter))
            {
                if (Volatile.Read(ref _tracked) >= MaxTrackedAddresses)
                {
                    Purge(now);
                }

                var key = Volatile.Read(ref _tracked) < MaxTrackedAddresses ? address : OtherAddresses;
                var created = new Counter(now);
                counter = _windows.GetOrAdd(key, created);
                if (ReferenceEquals(counter, created))
                {
                    Interlocked.Increment(ref _tracked);
                }
            }

            lock (counter)
            {
                var elapsed = time.GetElapsedTime(counter.Started, now);
                if (elapsed >= Window)
                {
                    counter.Started = now;
                    counter.Count = 0;
                    elapsed = TimeSpan.Zero;
                }

                counter.Count++;
                retryAfter = Window - elapsed;
                return counter.Count <= Limit;
            }
        }

        public void Dispose()
        {
            _windows.Clear();
            Volatile.Write(ref _tracked, 0);
        }

        private void Purge(long now)
        {
            var last = Interlocked.Read(ref _lastPurge);
            if (time.GetElapsedTime(last, now) < Window || Interlocked.CompareExchange(ref _lastPurge, now, last) != last)
            {
                return;
            }

            foreach (var (key, counter) in _windows)
            {
                lock (counter)
                {
                    // Under the counter's lock, so a window just restarted by a failure is not dropped with its count.
                    if (time.GetElapsedTime(counter.Started, now) >= Window && _windows.TryRemove(KeyValuePair.Create(key, counter)))
                    {
                        Interlocked.Decrement(ref _tracked);
                    }
                }
            }
        }

        private sealed class Counter(long started)
        {
            public long Started = started;
            public int Count;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 203, EventName = "AccessTokenRefusalsSummary", Level = LogLevel.Warning,
            Message = "{Refused} monitoring requests were refused for a missing or wrong access token in the last {Window} ({Throttled} of them answered 429); most came from: {TopAddresses}.")]
        public static partial void RefusedSummary(ILogger logger, long refused, TimeSpan window, long throttled, string topAddresses);
    }
}
