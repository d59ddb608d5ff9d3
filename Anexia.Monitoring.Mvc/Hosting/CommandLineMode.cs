using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Anexia.Monitoring.Mvc.Hosting;

/// <summary>
/// Whether the process runs a command (<c>anxmonitormodules</c>, <c>anxmonitorsbom</c>) instead of serving HTTP. In that mode every console
/// log entry goes to standard error, so that standard output carries the JSON alone: the console logger's options
/// depend on this mode and are reloaded when it changes. <c>RunWithAnxMonitoringCommandsAsync</c> enters the mode
/// with the arguments it is given; until then, the process's own arguments decide, because an application logs while
/// Program.cs prepares the host (migrations, seeding), before the command is reached, and that must not reach
/// standard output either.
/// </summary>
internal sealed class CommandLineMode : IConfigureOptions<ConsoleLoggerOptions>, IOptionsChangeTokenSource<ConsoleLoggerOptions>, IDisposable
{
    private CancellationTokenSource _changed = new();

    public bool IsCommand { get; private set; } =
        Microsoft.Extensions.Hosting.AnxMonitoringHostExtensions.CommandOf(Environment.GetCommandLineArgs()) is not null;

    public string? Name => Options.DefaultName;

    /// <summary>Switches to the command: from now on, console logs go to standard error.</summary>
    public void EnterCommand()
    {
        IsCommand = true;
        var changed = Interlocked.Exchange(ref _changed, new CancellationTokenSource());
        changed.Cancel();
        changed.Dispose();
    }

    public void Configure(ConsoleLoggerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (IsCommand)
        {
            options.LogToStandardErrorThreshold = LogLevel.Trace;
        }
    }

    public IChangeToken GetChangeToken() => new CancellationChangeToken(Volatile.Read(ref _changed).Token);

    public void Dispose() => _changed.Dispose();
}
