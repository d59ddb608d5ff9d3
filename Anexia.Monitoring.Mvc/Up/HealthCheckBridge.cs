using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Turns each of the host's ASP.NET Core health checks into an <c>up</c> subscriber of its own, run through the
/// host's <see cref="HealthCheckService"/> (its scopes, its per-registration timeouts, its logging): Healthy says
/// nothing, Degraded is a warning and Unhealthy an error, written <c>&lt;name&gt;: &lt;description&gt;</c>. Each one
/// has the <c>up</c> time limit and keeps its registration order. Left out: checks tagged
/// <see cref="AnxMonitoringOptions.HealthCheckExcludeTag"/>, checks named in
/// <see cref="AnxMonitoringOptions.ExcludeHealthChecks"/>, this library's own checks added with
/// <c>AddAnxMonitoringChecks()</c> (they already run as built-in checks), and all of them when
/// <see cref="AnxMonitoringOptions.IncludeHealthChecks"/> is off.
/// </summary>
internal sealed class HealthCheckBridge(IServiceProvider services, IOptions<AnxMonitoringOptions> options) : IUpCheckProvider
{
    private readonly Lazy<UpCheck[]> _checks = new(() => [.. Create(services, options)]);

    public IEnumerable<UpCheck> Checks => _checks.Value;

    private static IEnumerable<UpCheck> Create(IServiceProvider services, IOptions<AnxMonitoringOptions> options)
    {
        if (services.GetService<HealthCheckService>() is not { } healthChecks
            || services.GetService<IOptions<HealthCheckServiceOptions>>() is not { } healthCheckOptions)
        {
            yield break;
        }

        var ownChecks = services.GetServices<AnxMonitoringHealthCheckName>().Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var registration in healthCheckOptions.Value.Registrations)
        {
            if (registration.Tags.Contains(AnxMonitoringOptions.HealthCheckExcludeTag) || ownChecks.Contains(registration.Name))
            {
                continue;
            }

            yield return UpCheck.Of(
                registration.Name,
                (_, cancellationToken) => RunAsync(healthChecks, registration, cancellationToken),
                () => IsIncluded(options.Value, registration.Name));
        }
    }

    private static bool IsIncluded(AnxMonitoringOptions options, string name) =>
        options.IncludeHealthChecks && !options.ExcludeHealthChecks.Contains(name, StringComparer.OrdinalIgnoreCase);

    private static async Task RunAsync(HealthCheckService healthChecks, HealthCheckRegistration registration, CancellationToken cancellationToken)
    {
        var report = await healthChecks.CheckHealthAsync(r => ReferenceEquals(r, registration), cancellationToken);
        if (!report.Entries.TryGetValue(registration.Name, out var entry) || entry.Status == HealthStatus.Healthy)
        {
            return;
        }

        // The description, else the exception's message, never a stack trace; UpReport keeps it on one line.
        var text = $"{registration.Name}: {entry.Description ?? entry.Exception?.Message ?? entry.Status.ToString()}";
        if (entry.Status == HealthStatus.Degraded)
        {
            throw new MonitorUpWarningException(text);
        }

        throw new UnhealthyCheckException(text, entry.Exception);
    }

    /// <summary>An Unhealthy result, reported as an <c>ERROR:</c> line.</summary>
    private sealed class UnhealthyCheckException(string message, Exception? innerException) : Exception(message, innerException);
}

/// <summary>Marks a health check registered by <c>AddAnxMonitoringChecks()</c>, so that <c>up</c> does not run it twice.</summary>
internal sealed record AnxMonitoringHealthCheckName(string Name);
