using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NuGet.Protocol;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The code that reads a feed's service index and its registrations, compiled once per process while the first service
/// index is on its way: a work item of its own runs it over two small documents of the same shapes (below), through the
/// same streams and parsers. Without it, the JIT's first compilation of that code (some 500 methods of Newtonsoft.Json,
/// NuGet.Protocol, System.Text.Json and this library) falls on the service index's answer and then on the first
/// registrations, each waiting for it in turn, after the round trip instead of during it.
/// </summary>
internal static class ReadPaths
{
    private static readonly Uri Address = new("https://feed.invalid/v3/index.json");

    private static int _compiled;

    /// <summary>
    /// Starts <see cref="ReadSamplesAsync"/> on the thread pool the first time it is called in the process, without
    /// waiting for it; it never fails the caller.
    /// </summary>
    /// <param name="maxResponseBytes">The limit of the streams the real answers are read through.</param>
    public static void CompileOnce(long maxResponseBytes)
    {
        if (Interlocked.Exchange(ref _compiled, 1) == 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await ReadSamplesAsync(maxResponseBytes);
                }
                catch (Exception)
                {
                    // Compiling ahead is an optimisation only: whatever went wrong here, the real answers are read as always.
                }
            });
        }
    }

    /// <summary>
    /// Reads the sample service index and registration as the real ones are read; returns the registration base address
    /// and the newest version, which tests compare with the samples' own.
    /// </summary>
    internal static async Task<(Uri? RegistrationBase, NuGetVersion? Newest, int Entries)> ReadSamplesAsync(long maxResponseBytes)
    {
        JObject json;
        using (var reader = new JsonTextReader(new StreamReader(Stream(ServiceIndex, maxResponseBytes))))
        {
            json = await JObject.LoadAsync(reader);
        }

        var registrationBase = new ServiceIndexResourceV3(json, DateTime.UtcNow).GetServiceEntryUri(ServiceTypes.RegistrationsBaseUrl);
        var index = await RegistrationJson.ReadIndexAsync(Stream(Registration, maxResponseBytes), CancellationToken.None);
        var entries = index.Items!.SelectMany(page => RegistrationJson.EntriesOf(page.Items!, "Sample.Package")).ToList();
        return (registrationBase, PackageRegistry.Newest(entries, entries[0].Version), entries.Count);
    }

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
