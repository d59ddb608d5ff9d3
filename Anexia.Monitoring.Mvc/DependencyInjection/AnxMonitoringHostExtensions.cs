using Anexia.Monitoring.Mvc.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>The command line of the Anexia monitoring, as Django's <c>manage.py anxmonitormodules</c>.</summary>
public static class AnxMonitoringHostExtensions
{
    /// <summary>The argument that prints the <c>modules</c> report instead of serving HTTP.</summary>
    public const string ModulesCommand = "anxmonitormodules";

    /// <summary>
    /// Runs the host, unless <paramref name="args"/> holds <c>anxmonitormodules</c>: then prints the same JSON as
    /// <c>/anxapi/v1/modules</c> to standard output (waiting for every lookup, each within its timeout), reports
    /// progress on standard error, and returns without serving HTTP. Replaces <c>app.Run()</c> in Program.cs.
    /// </summary>
    /// <param name="host">The built application.</param>
    /// <param name="args">The command-line arguments of the process.</param>
    /// <returns>A task that completes when the host has shut down or the report is printed.</returns>
    public static async Task RunWithAnxMonitoringCommandsAsync(this IHost host, string[] args)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(args);
        if (!args.Contains(ModulesCommand, StringComparer.Ordinal))
        {
            await host.RunAsync();
            return;
        }

        var catalog = host.Services.GetService<ModulesCatalog>()
            ?? throw new InvalidOperationException("The anxmonitormodules command needs AddAnxMonitoring(...) in the application's services.");
        var progress = new Progress<(int Done, int Total)>(p =>
            Console.Error.WriteLine($"{ModulesCommand}: {p.Done}/{p.Total} package lookups done"));
        var report = await catalog.GetCompleteReportAsync(progress, CancellationToken.None);
        using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(report);
        await stdout.WriteAsync("\n"u8.ToArray());
        await stdout.FlushAsync();
    }
}
