using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs <c>up</c> twice in the background after the application has started (unless
/// <see cref="AnxMonitoringOptions.UpWarmUp"/> is off), so that the first probe does not pay for EF Core model
/// building, first connections and JIT. Where the endpoint is mapped and a token is configured, the first run goes
/// through the endpoint itself (a request made in memory, with the configured token, that never touches the
/// network), so that MVC's per-action set-up, the filters and the answer's writing are warm too; otherwise the checks
/// run directly. The second run is of the checks alone. The start is not delayed, and stopping does not wait.
/// </summary>
internal sealed partial class UpWarmUp(
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    IOptions<AnxMonitoringOptions> options,
    TimeProvider timeProvider,
    ILogger<UpWarmUp> logger)
    : AfterStartService(lifetime)
{
    private readonly IServiceProvider _services = services;
    private readonly IOptions<AnxMonitoringOptions> _options = options;
    private readonly TimeProvider _timeProvider = timeProvider;
    private readonly ILogger<UpWarmUp> _logger = logger;

    protected override bool ShouldRun => _options.Value.UpWarmUp;

    protected override async Task RunAsync(CancellationToken stopping)
    {
        var started = _timeProvider.GetTimestamp();
        try
        {
            var how = "through the endpoint, then the checks alone";
            if (await RequestThroughEndpointAsync(stopping) is null)
            {
                how = "the checks alone, twice";
                await _services.GetRequiredService<UpCheckRunner>().RunAsync(reuseFinishedRun: false, stopping);
            }

            // The second run takes the paths every later run takes (the database providers' cached query plans, the
            // pooled connections), which the first one, busy building them, did not.
            var report = await _services.GetRequiredService<UpCheckRunner>().RunAsync(reuseFinishedRun: false, stopping);
            var elapsed = _timeProvider.GetElapsedTime(started);
            Log.UpWarmedUp(_logger, how, report.StatusCode, elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping before the run ended: nothing to do.
        }
        catch (ObjectDisposedException)
        {
            // The host was disposed while the run was starting.
        }
    }

    /// <summary>
    /// Sends <c>GET /anxapi/v1/up</c> with the first configured token to the endpoint's request delegate, in memory.
    /// Null when the endpoint is not mapped, no token is configured, or the request failed (the failure is logged at
    /// Debug; the checks then run directly). The answer's body goes nowhere; its status is the run's.
    /// </summary>
    private async Task<int?> RequestThroughEndpointAsync(CancellationToken stopping)
    {
        var options = _options.Value;
        var token = options.AccessTokens.Prepend(options.AccessToken).FirstOrDefault(t => !string.IsNullOrWhiteSpace(t));
        if (token is null || _services.GetService<EndpointDataSource>() is not { } endpoints)
        {
            return null;
        }

        try
        {
            var endpoint = endpoints.Endpoints.FirstOrDefault(e => AnxApiController.ActionOf(e)?.ActionName == nameof(AnxApiController.Up));
            if (endpoint?.RequestDelegate is not { } handle)
            {
                return null;
            }

            await using var scope = _services.CreateAsyncScope();
            var context = new DefaultHttpContext { RequestServices = scope.ServiceProvider, RequestAborted = stopping };
            context.Request.Method = HttpMethods.Get;
            context.Request.Scheme = "http";
            context.Request.Host = new HostString("localhost");
            context.Request.Path = "/anxapi/v1/up";
            context.Request.Headers.Authorization = "Bearer " + token;
            context.Response.Body = Stream.Null;
            foreach (var (key, value) in AnxApiController.ActionOf(endpoint)!.RouteValues)
            {
                context.Request.RouteValues[key] = value;
            }

            context.SetEndpoint(endpoint);
            await handle(context);
            return context.Response.StatusCode;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stopping.IsCancellationRequested)
        {
            Log.UpWarmUpRequestFailed(_logger, ex);
            return null;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 104, EventName = "UpWarmedUp", Level = LogLevel.Debug,
            Message = "up ran twice after start-up ({How}: status {StatusCode}, {ElapsedMilliseconds:0} ms), so the first probe answers like the later ones.")]
        public static partial void UpWarmedUp(ILogger logger, string how, int statusCode, double elapsedMilliseconds);

        [LoggerMessage(EventId = 105, EventName = "UpWarmUpRequestFailed", Level = LogLevel.Debug,
            Message = "The in-memory request of the up warm-up failed; the checks run directly instead.")]
        public static partial void UpWarmUpRequestFailed(ILogger logger, Exception exception);
    }
}
