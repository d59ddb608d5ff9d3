using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Anexia.Monitoring.Mvc.Sample;

/// <summary>
/// An ordinary ASP.NET Core health check: Degraded when the process uses more than 1 GiB. Because the sample
/// calls <c>AddHealthChecks()</c>, it also runs inside <c>/anxapi/v1/up</c> (as <c>WARNING: memory: ...</c>).
/// </summary>
public sealed class MemoryHealthCheck : IHealthCheck
{
    private const long DegradedAboveBytes = 1L << 30;

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var used = Environment.WorkingSet;
        return Task.FromResult(used > DegradedAboveBytes
            ? HealthCheckResult.Degraded($"the process uses {used >> 20} MiB")
            : HealthCheckResult.Healthy());
    }
}
