using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NuGet.Protocol;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The code of a cold start's lookups, compiled once per process while the first service index is on its way: a work
/// item of its own runs it over small samples of a service index and a registration (below), through the same streams,
/// parsers and rules, and renders their entry as <c>modules</c> would. Without it, the JIT's first compilation of that
/// code (several hundred methods of Newtonsoft.Json, NuGet.Protocol, System.Text.Json and this library) falls on the service
/// index's answer, then on the first registrations and then on the first answer, each waiting for it in turn, after
/// the round trips instead of during them.
/// </summary>
internal static class CompileAhead
{
    private static readonly Uri Address = new("https://feed.invalid/v3/index.json");

    private static int _started;

    /// <summary>The run started by <see cref="StartOnce"/>, true when the samples went through; null before (for tests).</summary>
    internal static Task<bool>? Run { get; private set; }

    /// <summary>
    /// Starts <see cref="RunSamplesAsync"/> on the thread pool the first time it is called in the process, without
    /// waiting for it; it never fails the caller.
    /// </summary>
    /// <param name="maxResponseBytes">The limit of the streams the real answers are read through.</param>
    public static void StartOnce(long maxResponseBytes)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            // Without the caller's execution context: nothing of the lookup or request that came first (its activity,
            // its AsyncLocals) belongs to this work.
            using (ExecutionContext.SuppressFlow())
            {
                Run = Task.Run(async () =>
                {
                    try
                    {
                        await RunSamplesAsync(maxResponseBytes);
                        return true;
                    }
                    catch (Exception)
                    {
                        // Compiling ahead is an optimisation only: whatever went wrong here, the real answers are read as always.
                        return false;
                    }
                });
            }
        }
    }

    /// <summary>
    /// Reads the sample service index and registration as the real ones are read and renders the sample package's
    /// entry; returns the registration base address, the newest version and the rendered answer, which tests compare
    /// with the samples' own.
    /// </summary>
    internal static async Task<(Uri? RegistrationBase, NuGetVersion? Newest, string Answer)> RunSamplesAsync(long maxResponseBytes)
    {
        JObject json;
        using (var reader = new JsonTextReader(new StreamReader(Stream(ServiceIndex, maxResponseBytes))))
        {
            json = await JObject.LoadAsync(reader);
        }

        var registrationBase = new ServiceIndexResourceV3(json, DateTime.UtcNow).GetServiceEntryUri(ServiceTypes.RegistrationsBaseUrl);
        var index = await RegistrationJson.ReadIndexAsync(Stream(Registration, maxResponseBytes), CancellationToken.None);
        var entries = index.Items!.SelectMany(page => RegistrationJson.EntriesOf(page.Items!, SampleId)).ToList();
        var installed = entries[0];
        var newest = PackageRegistry.Newest(entries, installed.Version);
        var info = new ModuleInfo(newest, installed.Licences, entries[^1].Licences)
        {
            InstalledVulnerabilities = KnownVulnerability.Merge(installed.Vulnerabilities),
            InstalledDeprecation = installed.Deprecation,
        };
        var answer = ModulesJson.Write("10.0.0", newest?.ToNormalizedString(), [(new InstalledPackage(SampleId, installed.Version.ToNormalizedString()), info)]);
        return (registrationBase, newest, System.Text.Encoding.UTF8.GetString(answer));
    }

    private const string SampleId = "Sample.Package";

    private static BoundedReadStream Stream(ReadOnlySpan<byte> utf8, long maxResponseBytes) =>
        new(new MemoryStream(utf8.ToArray(), writable: false), maxResponseBytes, Address);

    private static ReadOnlySpan<byte> ServiceIndex => """
        {"version":"3.0.0","resources":[
          {"@id":"https://feed.invalid/v3/registration/","@type":"RegistrationsBaseUrl/3.6.0"},
          {"@id":"https://feed.invalid/v3/flatcontainer/","@type":"PackageBaseAddress/3.0.0"}]}
        """u8;

    private static ReadOnlySpan<byte> Registration => """
        {"count":1,"items":[{"count":2,"lower":"1.0.0","upper":"2.0.0","items":[
          {"catalogEntry":{"id":"Sample.Package","version":"1.0.0","listed":true,"licenseExpression":"MIT",
            "vulnerabilities":[{"advisoryUrl":"https://advisories.invalid/1","severity":"2"}],
            "deprecation":{"reasons":["Legacy"],"message":"Use another","alternatePackage":{"id":"Other.Package","range":"[1.0.0, )"}}}},
          {"catalogEntry":{"id":"Sample.Package","version":"2.0.0","listed":true,"licenseUrl":"https://licenses.invalid/MIT"}}]}]}
        """u8;
}
