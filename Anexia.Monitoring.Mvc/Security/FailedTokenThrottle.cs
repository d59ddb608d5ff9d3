using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Security;

/// <summary>
/// Throttles token guessing: each client address may fail the token check
/// <see cref="AnxMonitoringOptions.FailedTokenLimit"/> times per <see cref="AnxMonitoringOptions.FailedTokenWindow"/>
/// (a fixed window per address, started by its first failure); further failures from it get 429 with
/// <c>Retry-After</c> saying the seconds left in its window. Requests with a valid token never come here. The address
/// is <see cref="ConnectionInfo.RemoteIpAddress"/> (so the host's forwarded-headers set-up applies); IPv6 addresses
/// count per /64, the block one client usually holds. One map holds each address's window and its refusals for the
/// one Warning per window that sums them up; at most <see cref="MaxTrackedAddresses"/> addresses are told apart, and
/// beyond that new ones share one entry, so memory stays bounded under a flood of distinct addresses.
/// </summary>
internal sealed partial class FailedTokenThrottle(IOptions<AnxMonitoringOptions> options, TimeProvider time, ILogger<FailedTokenThrottle> logger)
    : IDisposable
{
    public const int MaxTrackedAddresses = 10_000;

    public const int SummaryAddresses = 5;

    private const string OtherAddresses = "other addresses";

    private readonly int _limit = options.Value.FailedTokenLimit;
    private readonly TimeSpan _window = options.Value.FailedTokenWindow;
    private readonly TimeProvider _time = time;
    private readonly ILogger<FailedTokenThrottle> _logger = logger;
    private readonly ConcurrentDictionary<string, Counter> _addresses = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    // The map's size, kept apart: ConcurrentDictionary.Count takes every lock, on each failed request.
    private int _tracked;
    private long _lastPurge = time.GetTimestamp();
    private long _refused;
    private long _throttled;
    private ITimer? _summaryTimer;

    /// <summary>How many addresses are told apart now (for tests of the bound).</summary>
    internal int TrackedAddresses => Volatile.Read(ref _tracked);

    /// <summary>
    /// Counts one failed token check of <paramref name="context"/>'s client. True when it is within the limit (answer
    /// 401); false when the client is over it (answer 429, after <paramref name="retryAfter"/>).
    /// </summary>
    public bool AdmitFailure(HttpContext context, out TimeSpan retryAfter)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = _time.GetTimestamp();
        var counter = CounterOf(ClientKey(context.Connection.RemoteIpAddress), now);
        bool admitted;
        lock (counter)
        {
            var elapsed = _time.GetElapsedTime(counter.Started, now);
            if (elapsed >= _window)
            {
                counter.Started = now;
                counter.Failures = 0;
                elapsed = TimeSpan.Zero;
            }

            counter.Failures++;
            counter.Refused++;
            admitted = _limit <= 0 || counter.Failures <= _limit;
            retryAfter = admitted ? TimeSpan.Zero : _window - elapsed;
        }

        Interlocked.Increment(ref _refused);
        if (!admitted)
        {
            Interlocked.Increment(ref _throttled);
        }

        if (Volatile.Read(ref _summaryTimer) is null)
        {
            lock (_gate)
            {
                _summaryTimer ??= _time.CreateTimer(static state => ((FailedTokenThrottle)state!).Summarise(), this, _window, Timeout.InfiniteTimeSpan);
            }
        }

        return admitted;
    }

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
        }
    }

    private Counter CounterOf(string address, long now)
    {
        if (_addresses.TryGetValue(address, out var counter))
        {
            return counter;
        }

        if (Volatile.Read(ref _tracked) >= MaxTrackedAddresses)
        {
            Purge(now);
        }

        var key = Volatile.Read(ref _tracked) < MaxTrackedAddresses ? address : OtherAddresses;
        var created = new Counter(now);
        counter = _addresses.GetOrAdd(key, created);
        if (ReferenceEquals(counter, created))
        {
            Interlocked.Increment(ref _tracked);
        }

        return counter;
    }

    /// <summary>Drops the addresses whose window has ended and that the summary has reported, at most once per window.</summary>
    private void Purge(long now)
    {
        var last = Interlocked.Read(ref _lastPurge);
        if (_time.GetElapsedTime(last, now) < _window || Interlocked.CompareExchange(ref _lastPurge, now, last) != last)
        {
            return;
        }

        foreach (var (key, counter) in _addresses)
        {
            lock (counter)
            {
                // Under the counter's lock, so a window just restarted by a failure is not dropped with its count.
                if (counter.Refused == 0 && _time.GetElapsedTime(counter.Started, now) >= _window
                    && _addresses.TryRemove(KeyValuePair.Create(key, counter)))
                {
                    Interlocked.Decrement(ref _tracked);
                }
            }
        }
    }

    private void Summarise()
    {
        lock (_gate)
        {
            _summaryTimer?.Dispose();
            _summaryTimer = null;
        }

        var refused = Interlocked.Exchange(ref _refused, 0);
        var throttled = Interlocked.Exchange(ref _throttled, 0);
        var counts = new List<(string Address, int Refused)>();
        foreach (var (key, counter) in _addresses)
        {
            lock (counter)
            {
                if (counter.Refused > 0)
                {
                    counts.Add((key, counter.Refused));
                    counter.Refused = 0;
                }
            }
        }

        if (refused == 0)
        {
            return;
        }

        var top = string.Join(", ", counts
            .OrderByDescending(c => c.Refused)
            .ThenBy(c => c.Address, StringComparer.Ordinal)
            .Take(SummaryAddresses)
            .Select(c => $"{c.Address} ({c.Refused.ToString(CultureInfo.InvariantCulture)})"));
        try
        {
            Log.RefusedSummary(_logger, refused, _window, throttled, top);
        }
        catch (Exception)
        {
            // A log provider threw: on a timer thread that would end the process.
        }
    }

    /// <summary>One address: the start of its window, its failures in it, and its refusals since the last summary.</summary>
    private sealed class Counter(long started)
    {
        public long Started = started;
        public int Failures;
        public int Refused;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 203, EventName = "AccessTokenRefusalsSummary", Level = LogLevel.Warning,
            Message = "{Refused} monitoring requests were refused for a missing or wrong access token in the last {Window} ({Throttled} of them answered 429); most came from: {TopAddresses}.")]
        public static partial void RefusedSummary(ILogger logger, long refused, TimeSpan window, long throttled, string topAddresses);
    }
}
