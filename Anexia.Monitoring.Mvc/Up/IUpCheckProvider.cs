namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Gives <see cref="UpCheckRunner"/> the <c>up</c> checks of one kind. The runner asks every provider on every run, in
/// the order the providers are registered (built-in database checks, known vulnerabilities, the host's health checks,
/// <c>AddMonitorUpCheck</c> classes, <see cref="MonitorUpCheck"/> subscribers). A new kind of check is one new provider
/// and one registration line in <c>AddAnxMonitoring</c>.
/// </summary>
internal interface IUpCheckProvider
{
    /// <summary>The current checks of this provider, in the order they run and report.</summary>
    IEnumerable<UpCheck> Checks { get; }
}
