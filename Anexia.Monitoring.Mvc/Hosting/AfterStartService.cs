using Microsoft.Extensions.Hosting;

namespace Anexia.Monitoring.Mvc.Hosting;

/// <summary>
/// A hosted service whose work runs once on the thread pool after the application has started (when
/// <see cref="ShouldRun"/> says so), so that it never delays the start; stopping does not wait for it.
/// </summary>
internal abstract class AfterStartService(IHostApplicationLifetime lifetime) : IHostedService
{
    private readonly IHostApplicationLifetime _lifetime = lifetime;
    private CancellationTokenRegistration _registration;

    /// <summary>The work, once the application has started and <see cref="ShouldRun"/> said so; null before.</summary>
    internal Task? Run { get; private set; }

    /// <summary>Whether the work is to run in this application; read at start.</summary>
    protected virtual bool ShouldRun => true;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (ShouldRun)
        {
            _registration = _lifetime.ApplicationStarted.Register(() => Run = Task.Run(() => RunAsync(_lifetime.ApplicationStopping)));
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _registration.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>The work; <paramref name="stopping"/> is cancelled when the application stops.</summary>
    protected abstract Task RunAsync(CancellationToken stopping);
}
