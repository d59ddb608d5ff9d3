using System.Net;
using System.Text.Json;
using Anexia.Monitoring.Mvc.Modules;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>The modules tests' helpers: a host on one package source with fixed installed packages, and readers of its answer.</summary>
internal static class ModulesHost
{
    /// <summary>How long a test waits for something that should happen at once before it fails instead of hanging.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>A host (<see cref="MonitoringTestHost"/>, no database) asking <paramref name="source"/> only.</summary>
    public static Task<MonitoringTestHost> StartAsync(
        string source,
        Dictionary<string, string?>? settings = null,
        IReadOnlyList<InstalledPackage>? installed = null,
        bool noDependencyManifest = false,
        TimeProvider? time = null,
        Action<IServiceCollection>? services = null,
        bool withIdentityDatabase = false)
    {
        var values = new Dictionary<string, string?> { ["AnxMonitoring:PackageSources:0"] = source };
        foreach (var (key, value) in settings ?? [])
        {
            values[key] = value;
        }

        return MonitoringTestHost.StartAsync(values, withIdentityDatabase, configureServices: b =>
        {
            b.Services.AddSingleton<IInstalledPackages>(new FixedInstalledPackages(noDependencyManifest ? null : installed ?? Fixtures.Installed));
            if (time is not null)
            {
                b.Services.AddSingleton(time);
            }

            services?.Invoke(b.Services);
        });
    }

    /// <summary>Asserts a 200 JSON answer and returns its root.</summary>
    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("application/json"));
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            return document.RootElement.Clone();
        }
    }

    /// <summary>The module named <paramref name="name"/> in a <c>modules</c> answer.</summary>
    public static JsonElement Module(JsonElement root, string name) =>
        root.GetProperty("modules").EnumerateArray().Single(m => m.GetProperty("name").GetString() == name);

    /// <summary>A module's licence list under <paramref name="key"/> (<c>installed_version_licences</c> or <c>newest_version_licences</c>).</summary>
    public static string?[] Licences(JsonElement module, string key) =>
        [.. module.GetProperty(key).EnumerateArray().Select(l => l.GetString())];

    /// <summary>Waits until <paramref name="condition"/> holds, failing the test after <see cref="HangGuard"/>.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, Func<string>? describe = null)
    {
        var until = DateTime.UtcNow + HangGuard;
        while (!condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail("The condition did not come true in time. " + describe?.Invoke());
            }

            await Task.Delay(20);
        }
    }

    /// <summary>A <c>modules</c> answer once every lookup it started has ended (one request to start them, one to read them).</summary>
    public static async Task<HttpResponseMessage> GetCompleteModulesAsync(this MonitoringTestHost host)
    {
        (await host.GetModulesAsync()).Dispose();
        await host.Services.GetRequiredService<ModuleLookups>().WhenIdleAsync().WaitAsync(HangGuard);
        return await host.GetModulesAsync();
    }
}
