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
        var (exitCode, stdout, stderr) = await RunSampleAsync("anxmonitormodules");

        Assert.That(exitCode, Is.Zero, stderr);
        using var json = JsonDocument.Parse(stdout);
        var runtime = json.RootElement.GetProperty("runtime");
        Assert.That(runtime.GetProperty("platform").GetString(), Is.EqualTo("dotnet"));
        Assert.That(runtime.GetProperty("platform_vulnerabilities")[0].GetProperty("id").GetString(), Is.EqualTo("CVE-2026-0201"), "the command waits for the runtime's status too");
        var sqlite = json.RootElement.GetProperty("modules").EnumerateArray()
            .Single(m => m.GetProperty("name").GetString() == "Microsoft.EntityFrameworkCore.Sqlite");
        Assert.That(sqlite.GetProperty("newest_version").GetString(), Is.EqualTo("99.0.0"));
        Assert.That(sqlite.GetProperty("direct").GetBoolean(), Is.True, "the sample references it itself");
        Assert.That(sqlite.GetProperty("update_kind").GetString(), Is.EqualTo("major"));
        Assert.That(stderr, Does.Contain("anxmonitormodules:"), "progress goes to standard error");
        Assert.That(stderr, Does.Contain("dbug: "), "the console logs go to standard error");
        Assert.That(stderr, Does.Not.Contain("Now listening"), "no HTTP server was started");
    }

    [Test]
    public async Task AnxMonitorSbom_PrintsAValidCycloneDxDocumentOfTheSample()
    {
        var (exitCode, stdout, stderr) = await RunSampleAsync("anxmonitorsbom");

        Assert.That(exitCode, Is.Zero, stderr);
        var bom = Modules.SbomTests.AssertValid(stdout);
        Assert.That(bom["metadata"]!["component"]!["name"]!.GetValue<string>(), Is.EqualTo("Anexia.Monitoring.Mvc.Sample"));
        Assert.That(bom["components"]!.AsArray().Select(c => c!["purl"]?.GetValue<string>()), Does.Contain("pkg:nuget/Microsoft.EntityFrameworkCore.Sqlite@" + SqliteVersion(bom)));
        Assert.That(bom["vulnerabilities"]!.AsArray().Select(v => v!["id"]!.GetValue<string>()), Does.Contain("CVE-2026-0201"));
        Assert.That(stderr, Does.Contain("anxmonitorsbom:"), "progress goes to standard error");
        Assert.That(stderr, Does.Not.Contain("Now listening"), "no HTTP server was started");
    }

    private static string SqliteVersion(System.Text.Json.Nodes.JsonObject bom) =>
        bom["components"]!.AsArray().Single(c => c!["name"]!.GetValue<string>() == "Microsoft.EntityFrameworkCore.Sqlite")!["version"]!.GetValue<string>();

    /// <summary>Runs the sample with <paramref name="command"/> against a feed and release metadata on loopback.</summary>
    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunSampleAsync(string command)
    {
        await using var feed = await LocalNuGetFeed.StartAsync([new FeedPackage("Microsoft.EntityFrameworkCore.Sqlite", [new("99.0.0", LicenseExpression: "MIT")])]);
        await using var metadata = await LocalReleaseMetadata.StartAsync();
        metadata.Releases.Add(new MetadataRelease(LocalReleaseMetadata.Patch(1), true, "CVE-2026-0201"));
        var database = Path.Combine(Path.GetTempPath(), $"anx-cli-{Guid.NewGuid():N}.db");
        var sample = SampleExecutable();
        var start = new ProcessStartInfo(sample)
        {
            ArgumentList = { command },
            WorkingDirectory = Path.GetDirectoryName(sample)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ANX_MONITORING_PACKAGE_SOURCES"] = feed.ServiceIndexUrl,
                ["ANX_MONITORING_RUNTIME_RELEASES_INDEX"] = metadata.IndexUrl,
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
            return (process.ExitCode, await stdout, await stderr);
        }
        finally
        {
            File.Delete(database);
        }
    }
}
