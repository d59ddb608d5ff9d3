using Anexia.Monitoring.Mvc.Controllers;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Hosting;

/// <summary>
/// Logs one warning once the application has started when <c>AddAnxMonitoring</c> was called but no controller
/// endpoints are mapped (no <c>MapControllers</c>, <c>MapDefaultControllerRoute</c> or <c>MapControllerRoute</c>):
/// the endpoints would then answer 404 without a word. Runs in the background after the start, since listing the
/// endpoints builds the MVC action table (which the first request would build anyway). Hosts on the older
/// <c>UseMvc</c> routing (<see cref="MvcOptions.EnableEndpointRouting"/> off) have no endpoints to look at.
/// </summary>
internal sealed partial class EndpointMappingWarning(IServiceProvider services, IHostApplicationLifetime lifetime, ILogger<EndpointMappingWarning> logger)
    : AfterStartService(lifetime)
{
    private readonly IServiceProvider _services = services;
    private readonly ILogger<EndpointMappingWarning> _logger = logger;

    protected override Task RunAsync(CancellationToken stopping)
    {
        Check();
        return Task.CompletedTask;
    }

    /// <summary>Logs the warning when the controller's actions are not among the application's endpoints.</summary>
    internal void Check()
    {
        if (_services.GetService<IOptions<MvcOptions>>()?.Value.EnableEndpointRouting == false
            || _services.GetService<EndpointDataSource>() is not { } endpoints)
        {
            return;
        }

        try
        {
            var mapped = endpoints.Endpoints.Any(endpoint => AnxApiController.ActionOf(endpoint) is not null);
            if (!mapped)
            {
                Log.NoControllerEndpoints(_logger);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The host stopped, or its endpoints cannot be built (which its first request will report): nothing to add.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2, EventName = "NoControllerEndpoints", Level = LogLevel.Warning,
            Message = "AddAnxMonitoring was called, but the application maps no controller endpoints, so /anxapi/v1/up, /anxapi/v1/modules and /anxapi/v1/sbom will answer 404. "
                + "Add app.MapControllers() (or MapDefaultControllerRoute() / MapControllerRoute(...)) to Program.cs.")]
        public static partial void NoControllerEndpoints(ILogger logger);
    }
}
