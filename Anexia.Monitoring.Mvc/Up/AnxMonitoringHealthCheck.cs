using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// The library's built-in database and users checks as one ASP.NET Core health check, for the host's own
/// <c>MapHealthChecks</c> endpoints: Healthy when every check passes, Degraded when one warns, the registration's
/// failure status when one fails. The description lists what was found, one entry per problem; the data holds
/// each check's line.
/// </summary>
internal sealed class AnxMonitoringHealthCheck(DatabaseChecks databaseChecks, IOptions<AnxMonitoringOptions> options, UpCheckExecutor executor)
    : IHealthCheck
{
    private readonly DatabaseChecks _databaseChecks = databaseChecks;
    private readonly IOptions<AnxMonitoringOptions> _options = options;
    private readonly UpCheckExecutor _executor = executor;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        IReadOnlyList<UpCheck> checks = [.. _databaseChecks.Checks];
        var outcomes = await _executor.RunAsync(checks, _options.Value.CheckTimeout, cancellationToken);

        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<string>();
        var worst = UpCheckStatus.Ok;
        for (var i = 0; i < checks.Count; i++)
        {
            foreach (var outcome in outcomes[i].Where(o => o.Status != UpCheckStatus.Ok))
            {
                var line = UpReport.Line(outcome);
                data[checks[i].Name] = line;
                problems.Add(line);
                worst = outcome.Status > worst ? outcome.Status : worst;
            }
        }

        var description = problems.Count == 0 ? null : string.Join("; ", problems);
        return worst switch
        {
            UpCheckStatus.Error => new HealthCheckResult(context.Registration.FailureStatus, description, data: data),
            UpCheckStatus.Warning => HealthCheckResult.Degraded(description, data: data),
            _ => HealthCheckResult.Healthy(data: data),
        };
    }
}
