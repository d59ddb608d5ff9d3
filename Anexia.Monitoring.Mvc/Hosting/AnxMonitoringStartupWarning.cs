using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Hosting;

/// <summary>Logs one warning at start-up when no access token is configured, since every endpoint then answers 401.</summary>
internal sealed partial class AnxMonitoringStartupWarning(IOptions<AnxMonitoringOptions> options, ILogger<AnxMonitoringStartupWarning> logger)
    : IHostedService
{
    private readonly IOptions<AnxMonitoringOptions> _options = options;
    private readonly ILogger<AnxMonitoringStartupWarning> _logger = logger;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var options = _options.Value;
        if (string.IsNullOrWhiteSpace(options.AccessToken) && options.AccessTokens.All(string.IsNullOrWhiteSpace))
        {
            Log.NoAccessToken(_logger);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static partial class Log
    {
        [LoggerMessage(EventId = 1, EventName = "NoAccessToken", Level = LogLevel.Warning,
            Message = "No Anexia monitoring access token is configured (AnxMonitoring:AccessToken, AnxMonitoring:AccessTokens or ANX_MONITORING_ACCESS_TOKEN): "
                + "/anxapi/v1/up, /anxapi/v1/modules and /anxapi/v1/sbom will answer 401 to every request.")]
        public static partial void NoAccessToken(ILogger logger);
    }
}
