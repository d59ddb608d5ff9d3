using System.Diagnostics;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>
/// A throw-away PostgreSQL server on 127.0.0.1 and a free port, from the machine's postgresql package: initdb into a
/// temp folder (as the unprivileged <c>postgres</c> user when the tests run as root), trust authentication on
/// loopback only, stopped and deleted on dispose. It can be stopped, started, frozen (SIGSTOP: connections are
/// accepted by the kernel and never answered) and thawed, to test what <c>up</c> says when the database dies.
/// </summary>
internal sealed class PostgresServer : IAsyncDisposable
{
    public const string User = "anx";
    public const string Database = "anxtest";

    private readonly string _bin;
    private readonly string _dataDir;
    private readonly string? _runAs;

    private PostgresServer(string bin, string dataDir, string? runAs, int port)
    {
        _bin = bin;
        _dataDir = dataDir;
        _runAs = runAs;
        Port = port;
    }

    public int Port { get; }

    public string ConnectionString(int maxPoolSize = 20) =>
        $"Host=127.0.0.1;Port={Port};Username={User};Database={Database};Maximum Pool Size={maxPoolSize}";

    /// <summary>
    /// Starts a server. Where the server binaries are missing: fails under CI (where .ci/run installs them),
    /// otherwise marks the calling tests ignored with the reason printed.
    /// </summary>
    public static async Task<PostgresServer> StartAsync()
    {
        var bin = FindBinaries();
        if (bin is null)
        {
            const string reason = "PostgreSQL server binaries (initdb, pg_ctl) not found; install the Debian package postgresql (.ci/run does).";
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            {
                Assert.Fail(reason);
            }

            TestContext.Progress.WriteLine("Skipping PostgreSQL tests: " + reason);
            Assert.Ignore(reason);
        }

        var runAs = Environment.UserName == "root" ? "postgres" : null;
        var dataDir = Directory.CreateTempSubdirectory("anx-pg-").FullName;
        if (runAs is not null)
        {
            await RunAsync("chown", ["-R", runAs, dataDir]);
        }

        var server = new PostgresServer(bin!, dataDir, runAs, LocalNuGetFeed.FreePort());
        await server.PgAsync("initdb", ["-D", Path.Combine(dataDir, "data"), "-U", User, "-A", "trust", "--no-sync", "-E", "UTF8"]);
        await server.StartServerAsync();
        await server.PgAsync("createdb", ["-h", "127.0.0.1", "-p", server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", User, Database]);
        return server;
    }

    public Task StartServerAsync() => PgAsync("pg_ctl", [
        "-D", Path.Combine(_dataDir, "data"), "-l", Path.Combine(_dataDir, "server.log"), "-w", "-t", "60",
        "-o", $"-p {Port} -k {_dataDir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off",
        "start",
    ]);

    public Task StopServerAsync() => PgAsync("pg_ctl", ["-D", Path.Combine(_dataDir, "data"), "-m", "immediate", "-w", "-t", "60", "stop"]);

    /// <summary>Stops (SIGSTOP) or resumes (SIGCONT) the postmaster: a server that accepts connections and never answers.</summary>
    public async Task SignalAsync(string signal)
    {
        var pid = (await File.ReadAllLinesAsync(Path.Combine(_dataDir, "data", "postmaster.pid")))[0].Trim();
        await RunAsync("kill", ["-" + signal, pid]);
    }

    /// <summary>Runs a query through psql and returns its single value.</summary>
    public async Task<string> QueryAsync(string sql) =>
        (await PgAsync("psql", ["-h", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", User, "-d", Database, "-tAc", sql])).Trim();

    public async ValueTask DisposeAsync()
    {
        try
        {
            await SignalAsync("CONT");
            await StopServerAsync();
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // Already stopped.
        }

        Directory.Delete(_dataDir, recursive: true);
    }

    private static string? FindBinaries()
    {
        var root = "/usr/lib/postgresql";
        if (!Directory.Exists(root))
        {
            return null;
        }

        return Directory.GetDirectories(root)
            .Select(d => Path.Combine(d, "bin"))
            .Where(b => File.Exists(Path.Combine(b, "initdb")) && File.Exists(Path.Combine(b, "pg_ctl")))
            .OrderByDescending(b => int.TryParse(Path.GetFileName(Path.GetDirectoryName(b)), out var v) ? v : 0)
            .FirstOrDefault();
    }

    private Task<string> PgAsync(string tool, string[] arguments)
    {
        var path = Path.Combine(_bin, tool);
        return _runAs is null
            ? RunAsync(path, arguments)
            : RunAsync("runuser", ["-u", _runAs, "--", path, .. arguments]);
    }

    private static async Task<string> RunAsync(string file, string[] arguments)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{file} did not start.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
        }

        return await output;
    }
}
