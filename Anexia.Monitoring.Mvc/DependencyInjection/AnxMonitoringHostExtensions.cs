using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Modules;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.Hosting;

/// <summary>The command line of the Anexia monitoring: <c>anxmonitormodules</c>, as Django's <c>manage.py anxmonitormodules</c>, and <c>anxmonitorsbom</c>.</summary>
public static partial class AnxMonitoringHostExtensions
{
    /// <summary>The argument that prints the <c>modules</c> report instead of serving HTTP.</summary>
    internal const string ModulesCommand = "anxmonitormodules";

    /// <summary>The argument that prints the SBOM instead of serving HTTP.</summary>
    internal const string SbomCommand = "anxmonitorsbom";

    /// <summary>The command among <paramref name="args"/>, or null.</summary>
    internal static string? CommandOf(IEnumerable<string> args) =>
        args.FirstOrDefault(a => a is ModulesCommand or SbomCommand);

    /// <summary>
    /// Runs the host, unless <paramref name="args"/> holds <c>anxmonitormodules</c> or <c>anxmonitorsbom</c>: then prints
    /// the same JSON as <c>/anxapi/v1/modules</c> or <c>/anxapi/v1/sbom</c> to standard output (waiting for every lookup,
    /// each within its timeout), reports progress on standard error, and returns without serving HTTP. Replaces <c>app.Run()</c> in Program.cs.
    /// When <c>AddAnxMonitoring(...)</c> was not called, the host runs with a warning saying so, and the command
    /// writes that to standard error and sets the exit code 1.
    /// </summary>
    /// <param name="host">The built application.</param>
    /// <param name="args">The command-line arguments of the process.</param>
    /// <returns>A task that completes when the host has shut down or the report is printed.</returns>
    public static async Task RunWithAnxMonitoringCommandsAsync(this IHost host, string[] args)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(args);
        var catalog = host.Services.GetService<ModulesCatalog>();
        var command = CommandOf(args);
        if (command is null)
        {
            if (catalog is null && host.Services.GetService<ILoggerFactory>() is { } loggers)
            {
                Log.NotAdded(loggers.CreateLogger("Anexia.Monitoring.Mvc.Hosting"));
            }

            await host.RunAsync();
            return;
        }

        host.Services.GetService<CommandLineMode>()?.EnterCommand();
        if (catalog is null)
        {
            await Console.Error.WriteLineAsync($"{command}: the application does not call AddAnxMonitoring(...) on its services; there is no report to print.");
            Environment.ExitCode = 1;
            return;
        }

        var reported = -1;
        var progress = new Progress<(int Done, int Total)>(p =>
        {
            // Once per change: a lookup that takes its whole timeout would otherwise repeat the line every second.
            if (Interlocked.Exchange(ref reported, p.Done) != p.Done)
            {
                Console.Error.WriteLine($"{command}: {p.Done}/{p.Total} lookups done (the packages, ASP.NET Core and the .NET release metadata)");
            }
        });
        var report = command == SbomCommand
            ? await catalog.GetSbomAsync(complete: true, progress, CancellationToken.None)
            : await catalog.GetCompleteReportAsync(progress, CancellationToken.None);
        using var stdout = Console.OpenStandardOutput();
        await stdout.WriteAsync(report);
        await stdout.WriteAsync("\n"u8.ToArray());
        await stdout.FlushAsync();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 3, EventName = "AnxMonitoringNotAdded", Level = LogLevel.Warning,
            Message = "RunWithAnxMonitoringCommandsAsync was called, but AddAnxMonitoring(...) was not: /anxapi/v1/up, /anxapi/v1/modules and /anxapi/v1/sbom will answer 404. "
                + "Add builder.Services.AddControllers().AddAnxMonitoring(builder.Configuration) to Program.cs.")]
        public static partial void NotAdded(ILogger logger);
    }
}
