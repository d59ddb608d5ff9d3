using Anexia.Monitoring.Mvc;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Puts this library's checks into the host's own ASP.NET Core health checks.</summary>
public static class AnxMonitoringHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds one health check that runs the built-in checks of <c>up</c> (every registered <c>DbContext</c> connects,
    /// every Identity users table answers; each as switched by <see cref="AnxMonitoringOptions.TestDbConnections"/>
    /// and <see cref="AnxMonitoringOptions.TestQueryUsers"/>, each under <see cref="AnxMonitoringOptions.CheckTimeout"/>),
    /// so that the host's <c>MapHealthChecks</c> endpoints report them too. Healthy when all pass; otherwise
    /// <paramref name="failureStatus"/> with one entry per problem in the description. <c>up</c> itself does not
    /// run this health check again. Settings come from <c>AddAnxMonitoring(...)</c> when the host called it.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddHealthChecks()</c>.</param>
    /// <param name="name">The health check's name. Default: <c>anx-monitoring</c>.</param>
    /// <param name="failureStatus">The status reported when a check fails. Default: <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags for filtering the host's health check endpoints.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddAnxMonitoringChecks(
        this IHealthChecksBuilder builder,
        string name = "anx-monitoring",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);

        var services = builder.Services;
        services.AddBuiltInUpChecks();
        services.TryAddSingleton<AnxMonitoringHealthCheck>();
        services.AddSingleton(new AnxMonitoringHealthCheckName(name));
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => provider.GetRequiredService<AnxMonitoringHealthCheck>(),
            failureStatus,
            tags));
    }
}
