using System.Diagnostics;
using System.Text.Json;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;

namespace Anexia.Monitoring.Mvc.Tests.Hosting;

/// <summary><c>anxmonitormodules</c>, run as a real process of the sample application.</summary>
[TestFixture]
public sealed class CommandLineTests
{
    /// <summary>
    /// The sample as built beside these tests: the same configuration, framework and (for a self-contained run)
    /// runtime identifier, so its output folder mirrors this one's. Started through its own executable, which
    /// carries the runtime where the build is self-contained.
    /// </summary>
    private static string SampleExecutable()
    {
        var testsBin = RepositoryFiles.PathOf("Anexia.Monitoring.Mvc.Tests/bin");
        var outputFolder = Path.GetRelativePath(testsBin, AppContext.BaseDirectory); // <Configuration>/<framework>[/<rid>]
        var executable = OperatingSystem.IsWindows() ? "Anexia.Monitoring.Mvc.Sample.exe" : "Anexia.Monitoring.Mvc.Sample";
        return Path.Combine(RepositoryFiles.PathOf("samples/Anexia.Monitoring.Mvc.Sample/bin"), outputFolder, executable);
    }

    [Test]
    public async Task AnxMonitorModules_PrintsTheModulesJsonAndExitsWithoutServing()
    {
        await using var feed = await LocalNuGetFeed.StartAsync([new FeedPackage("Microsoft.EntityFrameworkCore.Sqlite", [new("99.0.0", LicenseExpression: "MIT")])]);
        var database = Path.Combine(Path.GetTempPath(), $"anx-cli-{Guid.NewGuid():N}.db");
        var sample = SampleExecutable();
        var start = new ProcessStartInfo(sample)
        {
            ArgumentList = { "anxmonitormodules" },
            WorkingDirectory = Path.GetDirectoryName(sample)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ANX_MONITORING_PACKAGE_SOURCES"] = feed.ServiceIndexUrl,
                ["ConnectionStrings__Default"] = $"Data Source={database}",
                ["Urls"] = "http://127.0.0.1:0",
                // EF Core's entries of the sample's start-up (EnsureCreated, before the command is reached) and every
                // other entry: standard output being the JSON alone then proves where the logs went.
                ["Logging__LogLevel__Default"] = "Debug",
                ["Logging__LogLevel__Microsoft.EntityFrameworkCore"] = "Debug",
                // A framework-dependent net8.0 build runs on whatever newer runtime this machine has, as the tests do.
                ["DOTNET_ROLL_FORWARD"] = "Major",
            },
        };

        try
        {
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(90));

            Assert.That(process.ExitCode, Is.Zero, await stderr);
            using var json = JsonDocument.Parse(await stdout);
            Assert.That(json.RootElement.GetProperty("runtime").GetProperty("platform").GetString(), Is.EqualTo("dotnet"));
            var sqlite = json.RootElement.GetProperty("modules").EnumerateArray()
                .Single(m => m.GetProperty("name").GetString() == "Microsoft.EntityFrameworkCore.Sqlite");
            Assert.That(sqlite.GetProperty("newest_version").GetString(), Is.EqualTo("99.0.0"));
            Assert.That(await stderr, Does.Contain("anxmonitormodules:"), "progress goes to standard error");
            Assert.That(await stderr, Does.Contain("dbug: "), "the console logs go to standard error");
            Assert.That(await stderr, Does.Not.Contain("Now listening"), "no HTTP server was started");
        }
        finally
        {
            File.Delete(database);
        }
    }
}
