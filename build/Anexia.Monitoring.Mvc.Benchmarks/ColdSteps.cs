using System.Diagnostics;
using Newtonsoft.Json.Linq;
using NuGet.Configuration;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using Anexia.Monitoring.Mvc.Up;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Telemetry;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// The steps before a cold process's first registration request, each timed on its own in a fresh process, the way
/// the library takes them: NuGet.Protocol's proxy settings, its repository, its HTTP source, the service index read and parsed, the
/// registration resource. Usage: <c>cold-steps URL</c> (a feed-host's address).
/// </summary>
internal static class ColdSteps
{
    public static async Task<int> RunAsync(string baseUrl)
    {
        var watch = Stopwatch.StartNew();
        var steps = new List<string>();
        void Step(string name)
        {
            steps.Add($"{name} {watch.Elapsed.TotalMilliseconds:F0} ms ({System.Runtime.JitInfo.GetCompiledMethodCount()} methods)");
            watch.Restart();
        }

        Step("start");
        var source = new PackageSource(baseUrl + "/v3/index.json");
        Step("package source");

        // What the HTTP handler's provider reads first: the proxy settings of the user's and the machine's NuGet.Config.
        _ = ProxyCache.Instance;
        Step("proxy settings (NuGet.Config)");
        var repository = Environment.GetEnvironmentVariable("STEPS_MINIMAL") == "1"
            ? new SourceRepository(source, [new HttpSourceResourceProvider(), new HttpHandlerResourceV3Provider()])
            : Repository.Factory.GetCoreV3(source);
        Step("repository");
        var http = (await repository.GetResourceAsync<HttpSourceResource>(CancellationToken.None)).HttpSource;
        Step("http source");
        var json = await http.ProcessStreamAsync(
            new HttpSourceRequest(source.SourceUri, NuGet.Common.NullLogger.Instance),
            async stream =>
            {
                if (Environment.GetEnvironmentVariable("STEPS_SYNC") == "1")
                {
                    using var copy = new MemoryStream();
                    await stream!.CopyToAsync(copy);
                    copy.Position = 0;
                    using var syncReader = new Newtonsoft.Json.JsonTextReader(new StreamReader(copy));
                    return JObject.Load(syncReader);
                }

                using var reader = new Newtonsoft.Json.JsonTextReader(new StreamReader(stream!));
                return await JObject.LoadAsync(reader);
            },
            NuGet.Common.NullLogger.Instance,
            CancellationToken.None);
        Step("service index read (50 ms of it the feed's)");
        var index = new ServiceIndexResourceV3(json, DateTime.UtcNow);
        var registration = new RegistrationResourceV3(http, index.GetServiceEntryUri(ServiceTypes.RegistrationsBaseUrl));
        Step("service index parsed, registration resource");
        var bytes = await http.ProcessStreamAsync(
            new HttpSourceRequest(registration.GetUri("Bench.Package000"), NuGet.Common.NullLogger.Instance),
            async stream =>
            {
                using var copy = new MemoryStream();
                await stream!.CopyToAsync(copy);
                return copy.Length;
            },
            NuGet.Common.NullLogger.Instance,
            CancellationToken.None);
        Step("first registration read (50 ms of it the feed's)");
        Console.WriteLine(string.Join("; ", steps));
        return 0;
    }
}
