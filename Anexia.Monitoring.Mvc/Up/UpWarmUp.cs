using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Runs the <c>up</c> checks once in the background after the application has started (unless
/// <see cref="AnxMonitoringOptions.UpWarmUp"/> is off), so that the first probe does not pay for EF Core model
/// building, first connections and JIT. The start itself is not delayed, and stopping the host does not wait for it.
/// </summary>
internal sealed partial class UpWarmUp : IHostedService
{
    private readonly UpCheckRunner _runner;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly IOptionsMonitor<AnxMonitoringOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<UpWarmUp> _logger;
    private CancellationTokenRegistration _registration;

    public UpWarmUp(
        UpCheckRunner runner,
        IHostApplicationLifetime lifetime,
        IOptionsMonitor<AnxMonitoringOptions> options,
        TimeProvider timeProvider,
        ILogger<UpWarmUp> logger)
    {
        _runner = runner;
        _lifetime = lifetime;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>The warm-up run, once the application has started and the setting asked for it.</summary>
    internal Task? Run { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.CurrentValue.UpWarmUp)
        {
            _registration = _lifetime.ApplicationStarted.Register(() => Run = Task.Run(WarmUpAsync));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }

    private async Task WarmUpAsync()
    {
        var started = _timeProvider.GetTimestamp();
        try
        {
            var report = await _runner.RunAsync(_lifetime.ApplicationStopping);
            var elapsed = _timeProvider.GetElapsedTime(started);
            Log.UpWarmedUp(_logger, report.StatusCode, elapsed.TotalMilliseconds);
        }
        catch (OperationCanceledException)
        {
            // Stopping before the run ended: nothing to do.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 104, EventName = "UpWarmedUp", Level = LogLevel.Debug,
            Message = "The up checks ran once after start-up (status {StatusCode}, {ElapsedMilliseconds:0} ms), so the first probe answers like the later ones.")]
        public static partial void UpWarmedUp(ILogger logger, int statusCode, double elapsedMilliseconds);
    }
}
