namespace Anexia.Monitoring.Mvc.Sample;

/// <summary>
/// A class-based up check: warns when the disk holding the application has less than 100 MiB free.
/// </summary>
public sealed class DiskSpaceCheck(IWebHostEnvironment environment) : IMonitorUpCheckHandler
{
    private const long WarningThresholdBytes = 100L << 20;

    /// <inheritdoc />
    public Task CheckAsync(MonitorUpCheck check, CancellationToken cancellationToken)
    {
        var drive = new DriveInfo(Path.GetPathRoot(environment.ContentRootPath) ?? "/");
        if (drive.AvailableFreeSpace < WarningThresholdBytes)
        {
            throw new MonitorUpWarningException($"only {drive.AvailableFreeSpace / (1 << 20)} MiB free on {drive.Name}");
        }

        return Task.CompletedTask;
    }
}
