using Anexia.Monitoring.Mvc;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Telemetry;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Anexia monitoring endpoints and their checks to a service collection.</summary>
public static class AnxMonitoringServiceCollectionExtensions
{
    /// <summary>
    /// Adds <c>/anxapi/v1/up</c>, <c>/anxapi/v1/modules</c> and <c>/anxapi/v1/sbom</c> with settings from the section <c>AnxMonitoring</c>
    /// and the flat <c>ANX_MONITORING_*</c> keys of <paramref name="configuration"/>. Adds the controller as an
    /// MVC application part; the host still maps controllers (<c>app.MapControllers()</c>). Safe to call twice.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configuration">The configuration to read the settings from, usually <c>builder.Configuration</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddAnxMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddSingleton<IConfigureOptions<AnxMonitoringOptions>>(new AnxMonitoringConfiguration(configuration));
        return services.AddAnxMonitoringCore();
    }

    /// <summary>
    /// Adds <c>/anxapi/v1/up</c>, <c>/anxapi/v1/modules</c> and <c>/anxapi/v1/sbom</c> with settings from the host's configuration (the section
    /// <c>AnxMonitoring</c> and the flat <c>ANX_MONITORING_*</c> keys), then <paramref name="configure"/>. Adds the
    /// controller as an MVC application part; the host still maps controllers (<c>app.MapControllers()</c>). Safe to
    /// call twice.
    /// </summary>
    /// <param name="services">The host's services.</param>
    /// <param name="configure">Sets the options, such as <see cref="AnxMonitoringOptions.AccessToken"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddAnxMonitoring(this IServiceCollection services, Action<AnxMonitoringOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        if (!services.Any(d => d.ServiceType == typeof(IConfigureOptions<AnxMonitoringOptions>) && d.ImplementationInstance is AnxMonitoringConfiguration))
        {
            // Unless AddAnxMonitoring(configuration) named the configuration to read already.
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<AnxMonitoringOptions>, HostConfiguration>());
        }

        services.Configure(configure);
        return services.AddAnxMonitoringCore();
    }

    /// <summary>
    /// Registers <typeparamref name="TCheck"/> as an <c>up</c> check. It is resolved from a DI scope of its own
    /// on every run and runs after the built-in checks, in registration order. Adding the same type twice
    /// registers it once.
    /// </summary>
    /// <typeparam name="TCheck">The check; registered as a scoped service unless the host registered it already.</typeparam>
    /// <param name="services">The host's services.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddMonitorUpCheck<TCheck>(this IServiceCollection services)
        where TCheck : class, IMonitorUpCheckHandler
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddScoped<TCheck>();
        services.TryAddEnumerable(
            ServiceDescriptor.Singleton<MonitorUpCheckHandlerRegistration, MonitorUpCheckHandlerRegistration<TCheck>>());
        return services;
    }

    /// <summary>
    /// What the built-in database checks need, for <c>up</c> and for <c>AddAnxMonitoringChecks()</c> alike: the
    /// options, the clock, the executor, and the database checks (the first check provider) reading the host's
    /// <c>DbContext</c> registrations once the host is built.
    /// </summary>
    internal static void AddBuiltInUpChecks(this IServiceCollection services)
    {
        services.AddOptions<AnxMonitoringOptions>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.TryAddSingleton<AnxMonitoringTelemetry>();
        services.TryAddSingleton(new DbContextRegistrations(services));
        services.TryAddSingleton<UpCheckExecutor>();

        // The database checks are the first check provider: registered here, before the others (AddAnxMonitoringCore),
        // whichever of AddAnxMonitoring and AddAnxMonitoringChecks the host calls first; the health check of
        // AddAnxMonitoringChecks takes the same instance.
        services.TryAddSingleton<DatabaseChecks>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpCheckProvider, DatabaseChecks>(provider => provider.GetRequiredService<DatabaseChecks>()));
    }

    private static IServiceCollection AddAnxMonitoringCore(this IServiceCollection services)
    {
        var partManager = services.AddMvcCore().PartManager;
        if (!partManager.FeatureProviders.OfType<AnxApiControllerFeatureProvider>().Any())
        {
            partManager.FeatureProviders.Add(new AnxApiControllerFeatureProvider());
        }

        services.AddOptions<AnxMonitoringOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AnxMonitoringOptions>, AnxMonitoringOptionsValidator>());
        services.AddBuiltInUpChecks();
        services.TryAddSingleton<AccessTokenFilter>();
        services.TryAddSingleton<FailedTokenThrottle>();
        services.TryAddSingleton<UpCheckRunner>();
        services.TryAddSingleton<EventAggregator>();
        services.TryAddSingleton<IEventAggregator>(provider => provider.GetRequiredService<EventAggregator>());

        // The up checks, in the order they run and report: one provider per kind (the database checks come first,
        // from AddBuiltInUpChecks). A new kind of check is one more line here.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpCheckProvider, VulnerabilityChecks>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpCheckProvider, RuntimeChecks>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpCheckProvider, HealthCheckBridge>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpCheckProvider, HandlerChecks>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IUpCheckProvider, SubscriberChecks>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, AnxMonitoringStartupWarning>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, EndpointMappingWarning>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, UpWarmUp>());
        services.TryAddSingleton<IInstalledPackages, DependencyManifestPackages>();
        services.TryAddSingleton<PackageRegistry>();
        services.TryAddSingleton<ReleaseMetadata>();
        services.TryAddSingleton<AdvisorySuppression>();
        services.TryAddSingleton<InstalledModules>();
        services.TryAddSingleton<SharedLookupCache>();
        services.TryAddSingleton<ModuleLookups>();
        services.TryAddSingleton<ModulesCatalog>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ModulesWarmUp>());

        // In `anxmonitormodules` and `anxmonitorsbom` runs (decided by RunWithAnxMonitoringCommandsAsync), console logs go to standard error.
        services.TryAddSingleton<CommandLineMode>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ConsoleLoggerOptions>, CommandLineMode>(p => p.GetRequiredService<CommandLineMode>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOptionsChangeTokenSource<ConsoleLoggerOptions>, CommandLineMode>(p => p.GetRequiredService<CommandLineMode>()));
        return services;
    }
}
