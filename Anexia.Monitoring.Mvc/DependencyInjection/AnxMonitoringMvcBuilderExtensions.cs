using Anexia.Monitoring.Mvc;
using Microsoft.Extensions.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Anexia monitoring endpoints to an MVC application: <c>AddControllers().AddAnxMonitoring(...)</c>.</summary>
public static class AnxMonitoringMvcBuilderExtensions
{
    /// <summary>
    /// Adds <c>/anxapi/v1/up</c>, <c>/anxapi/v1/modules</c> and <c>/anxapi/v1/sbom</c> with settings from the section <c>AnxMonitoring</c>
    /// and the flat <c>ANX_MONITORING_*</c> keys of <paramref name="configuration"/>. Safe to call twice.
    /// </summary>
    /// <param name="builder">The MVC builder returned by <c>AddControllers()</c> or <c>AddControllersWithViews()</c>.</param>
    /// <param name="configuration">The configuration to read the settings from, usually <c>builder.Configuration</c>.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IMvcBuilder AddAnxMonitoring(this IMvcBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAnxMonitoring(configuration);
        return builder;
    }

    /// <summary>
    /// Adds <c>/anxapi/v1/up</c>, <c>/anxapi/v1/modules</c> and <c>/anxapi/v1/sbom</c> with settings from the host's configuration (the section
    /// <c>AnxMonitoring</c> and the flat <c>ANX_MONITORING_*</c> keys), then <paramref name="configure"/>. Safe to call twice.
    /// </summary>
    /// <param name="builder">The MVC builder returned by <c>AddControllers()</c> or <c>AddControllersWithViews()</c>.</param>
    /// <param name="configure">Sets the options, such as <see cref="AnxMonitoringOptions.AccessToken"/>.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IMvcBuilder AddAnxMonitoring(this IMvcBuilder builder, Action<AnxMonitoringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddAnxMonitoring(configure);
        return builder;
    }
}
