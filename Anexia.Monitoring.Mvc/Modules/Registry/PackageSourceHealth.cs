namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// Whether every lookup against one package source has been failing, and since when: an outage that lasts longer
/// than one failure lifetime (the time a failed lookup is remembered before it is asked again) is to be reported
/// once per failure lifetime, and its end once.
/// </summary>
internal sealed class PackageSourceHealth(TimeProvider time, TimeSpan failureLifetime)
{
    private readonly TimeProvider _time = time;
    private readonly TimeSpan _failureLifetime = failureLifetime;
    private readonly Lock _gate = new();
    private long? _failingSince;
    private long? _lastReported;
    private long? _oversizeReported;

    /// <summary>
    /// Records a failed lookup. True when the outage is now to be reported: every lookup has failed for at least one
    /// failure lifetime, and it was not reported within the last one; <paramref name="failingFor"/> says how long.
    /// </summary>
    public bool Failed(out TimeSpan failingFor)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            _failingSince ??= now;
            failingFor = _time.GetElapsedTime(_failingSince.Value, now);
            return failingFor >= _failureLifetime && Due(ref _lastReported, now);
        }
    }

    /// <summary>True when an answer over the size limit is to be reported: not reported within the last failure lifetime.</summary>
    public bool OversizeToReport()
    {
        lock (_gate)
        {
            return Due(ref _oversizeReported, _time.GetTimestamp());
        }
    }

    /// <summary>Records a lookup the source answered. True when it ends an outage that was reported.</summary>
    public bool Succeeded()
    {
        lock (_gate)
        {
            var wasReported = _lastReported is not null;
            _failingSince = null;
            _lastReported = null;
            return wasReported;
        }
    }

    /// <summary>True, and <paramref name="lastReported"/> moved to now, when nothing was reported within the last failure lifetime.</summary>
    private bool Due(ref long? lastReported, long now)
    {
        if (lastReported is { } reported && _time.GetElapsedTime(reported, now) < _failureLifetime)
        {
            return false;
        }

        lastReported = now;
        return true;
    }
}
