using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NuGet.Configuration;
using NuGet.Packaging;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using NuGetLogger = NuGet.Common.NullLogger;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// A NuGet v3 feed as an <see cref="IPackageSource"/>, for the process lifetime: one <see cref="SourceRepository"/>,
/// one pooled HTTP client, NuGet.Protocol's resources for the service index, credentials and HTTP policy.
/// Every request goes through NuGet.Protocol's <see cref="HttpSource"/> without its disk cache (the answers
/// are cached in memory by <see cref="ModuleLookups"/>), so a long-running server writes no files per lookup
/// and works on a read-only file system. A registration index costs one request, a paged one one more per page.
/// Every answer is read through <see cref="BoundedReadStream"/> (at most
/// <see cref="AnxMonitoringOptions.MaxFeedResponseBytes"/>) and parsed as it streams; registrations with
/// System.Text.Json into the few fields <c>modules</c> reports (<see cref="RegistrationJson"/>).
/// </summary>
internal sealed class HttpFeedSource : PackageSourceBase
{
    // One try: NuGet's own retry loop (seconds of back-off per failing package) would decide how long a broken
    // source holds the lookup slots. A failed lookup is instead remembered briefly and asked again later.
    private const int MaxTries = 1;

    // The vulnerability data of a large feed is a few megabytes, read once per cache lifetime by one background load.
    private static readonly TimeSpan MinimumVulnerabilityLoadTimeout = TimeSpan.FromSeconds(60);

    // The service index type of NuGet's VulnerabilityInfo resource (NuGet.Protocol keeps its own constant internal).
    private const string VulnerabilityInfoType = "VulnerabilityInfo/6.7.0";

    // The resource providers an HTTP source needs here: NuGet.Protocol's HttpSource and, under it, its HTTP handler
    // (proxy, credentials). The service index and registrations are read through the HttpSource, so the other thirty-odd
    // providers of Repository.Factory.GetCoreV3 would only be compiled and sorted on the first lookup, never used.
    private static readonly INuGetResourceProvider[] HttpProviders = [new HttpSourceResourceProvider(), new HttpHandlerResourceV3Provider()];

    private readonly TimeSpan _serviceIndexTimeout;
    private readonly TimeSpan _cacheLifetime;
    private readonly TimeSpan _failureCacheLifetime;
    private readonly TimeProvider _time;
    private readonly long _maxResponseBytes;
    private readonly Lock _gate = new();
    private Task<Endpoints>? _endpoints;
    private Task<VulnerabilityDatabase?>? _vulnerabilities;
    private long _vulnerabilitiesLoadStarted;

    /// <param name="source">The source.</param>
    /// <param name="serviceIndexTimeout">How long reading the service index may take (the lookup timeout).</param>
    /// <param name="cacheLifetime">How long the source's vulnerability data is kept.</param>
    /// <param name="failureCacheLifetime">How long a failed read of the vulnerability data is remembered.</param>
    /// <param name="time">The clock of those lifetimes.</param>
    /// <param name="maxResponseBytes">The most bytes one answer of the source may have.</param>
    public HttpFeedSource(
        PackageSource source,
        TimeSpan serviceIndexTimeout,
        TimeSpan cacheLifetime,
        TimeSpan failureCacheLifetime,
        TimeProvider time,
        long maxResponseBytes)
        : base(source, new SourceRepository(source, HttpProviders), failureCacheLifetime, time)
    {
        _maxResponseBytes = maxResponseBytes;
        _serviceIndexTimeout = serviceIndexTimeout;
        _cacheLifetime = cacheLifetime;
        _failureCacheLifetime = failureCacheLifetime;
        _time = time;
    }

    /// <summary>The versions the source lists for <paramref name="id"/>, or null when it does not know the package.</summary>
    public override async Task<IReadOnlyList<PackageVersionEntry>?> GetVersionsAsync(string id, CancellationToken cancellationToken)
    {
        var endpoints = await GetEndpointsAsync(cancellationToken);
        var index = await ReadAsync(endpoints.Http, endpoints.Registration.GetUri(id), RegistrationJson.ReadIndexAsync, cancellationToken);
        if (index is null)
        {
            return null;
        }

        var entries = new List<PackageVersionEntry>();
        foreach (var page in index.Items ?? throw new InvalidDataException("The registration index has no items."))
        {
            IEnumerable<RegistrationJson.Leaf>? leaves = page.Items;
            if (leaves is null)
            {
                // A paged registration: the page's entries live at its own address.
                var pageUrl = page.Address ?? throw new InvalidDataException("A registration page has neither items nor an address.");
                var fetched = await ReadAsync(endpoints.Http, new Uri(pageUrl), RegistrationJson.ReadPageAsync, cancellationToken)
                    ?? throw new InvalidDataException($"The registration page {pageUrl} is missing.");
                leaves = fetched.Items ?? throw new InvalidDataException($"The registration page {pageUrl} has no items.");
            }

            entries.AddRange(RegistrationJson.EntriesOf(leaves, id));
        }

        return entries;
    }

    /// <summary>The licences a version's nuspec declares; empty when the source has no such nuspec.</summary>
    public override async Task<IReadOnlyList<string>> GetNuspecLicencesAsync(string id, NuGetVersion version, CancellationToken cancellationToken)
    {
        var endpoints = await GetEndpointsAsync(cancellationToken);
        if (endpoints.PackageBaseAddress is null)
        {
            return [];
        }

        var lowerId = id.ToLowerInvariant();
        var lowerVersion = version.ToNormalizedString().ToLowerInvariant();
        var uri = new Uri($"{endpoints.PackageBaseAddress.AbsoluteUri.TrimEnd('/')}/{lowerId}/{lowerVersion}/{lowerId}.nuspec");
        return await ReadAsync(
            endpoints.Http,
            uri,
            async (stream, ct) =>
            {
                // A nuspec is small; it is read whole (within the limit) before the XML reader, which reads synchronously.
                using var copy = new MemoryStream();
                await stream.CopyToAsync(copy, ct);
                copy.Position = 0;
                return Licences.From(new NuspecReader(copy));
            },
            cancellationToken) ?? [];
    }

    /// <summary>
    /// The source's vulnerability data, or null when it publishes none (no VulnerabilityInfo resource). Read once per cache lifetime and shared by every lookup; a failed read is tried again after the
    /// failure lifetime, and lookups meanwhile fall back to the registration entries.
    /// </summary>
    public override Task<VulnerabilityDatabase?> GetVulnerabilitiesAsync(CancellationToken cancellationToken)
    {
        Task<Task<VulnerabilityDatabase?>>? start = null;
        Task<VulnerabilityDatabase?>? current;
        lock (_gate)
        {
            current = _vulnerabilities;
            if (current is null
                || (current.IsCompleted && _time.GetElapsedTime(_vulnerabilitiesLoadStarted) >= (current.IsCompletedSuccessfully ? _cacheLifetime : _failureCacheLifetime)))
            {
                _vulnerabilitiesLoadStarted = _time.GetTimestamp();
                (current, start) = Deferred(LoadVulnerabilitiesAsync);
                _vulnerabilities = current;
            }
        }

        start?.RunSynchronously(TaskScheduler.Default);
        return current.WaitAsync(cancellationToken);
    }

    private async Task<VulnerabilityDatabase?> LoadVulnerabilitiesAsync()
    {
        using var timeout = new CancellationTokenSource(_serviceIndexTimeout > MinimumVulnerabilityLoadTimeout ? _serviceIndexTimeout : MinimumVulnerabilityLoadTimeout, _time);
        var endpoints = await GetEndpointsAsync(timeout.Token);
        if (endpoints.VulnerabilityInfo is null)
        {
            return null;
        }

        var index = await ReadAsync(endpoints.Http, endpoints.VulnerabilityInfo, VulnerabilityDatabase.ReadIndexAsync, timeout.Token)
            ?? throw new InvalidDataException($"The vulnerability index of {DisplayName} is missing.");
        var files = await Task.WhenAll(index.Select(async entry =>
            await ReadAsync(endpoints.Http, entry.Url, VulnerabilityDatabase.ReadFileAsync, timeout.Token)
                ?? throw new InvalidDataException($"The vulnerability data file {entry.Url} is missing.")));
        return VulnerabilityDatabase.From(files);
    }

    /// <summary>Starts reading the service index (once; a failed read is retried by the next lookup, which reports it).</summary>
    public override void Prepare() =>
        GetEndpointsAsync(CancellationToken.None).ContinueWith(
            static read => _ = read.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static HttpSourceRequest Request(Uri uri) => new(uri, NuGetLogger.Instance)
    {
        IgnoreNotFounds = true,
        MaxTries = MaxTries,
    };

    /// <summary>
    /// Reads one answer of the source through <see cref="BoundedReadStream"/> and <paramref name="parse"/>; null when
    /// the source answers 404.
    /// </summary>
    private Task<T?> ReadAsync<T>(HttpSource http, Uri uri, Func<Stream, CancellationToken, Task<T>> parse, CancellationToken cancellationToken)
        where T : class =>
        http.ProcessStreamAsync<T?>(
            Request(uri),
            async stream => stream is null ? null : await parse(new BoundedReadStream(stream, _maxResponseBytes, uri), cancellationToken),
            NuGetLogger.Instance,
            cancellationToken);

    /// <summary>The service index: small, and NuGet.Protocol's <see cref="ServiceIndexResourceV3"/> takes it as a <see cref="JObject"/>.</summary>
    private static async Task<JObject> ReadServiceIndexAsync(Stream stream, CancellationToken cancellationToken)
    {
        using var reader = new JsonTextReader(new StreamReader(stream));
        return await JObject.LoadAsync(reader, cancellationToken);
    }

    /// <summary>The service index, read once; a failed read is retried by the next lookup.</summary>
    private Task<Endpoints> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        Task<Task<Endpoints>>? start = null;
        Task<Endpoints> current;
        lock (_gate)
        {
            if (_endpoints is null || _endpoints.IsFaulted || _endpoints.IsCanceled)
            {
                (_endpoints, start) = Deferred(LoadEndpointsAsync);
            }

            current = _endpoints;
        }

        start?.RunSynchronously(TaskScheduler.Default);
        return current.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// A load to publish under <see cref="_gate"/> and to start, with <c>RunSynchronously</c> on the caller's thread,
    /// only after leaving it: its synchronous first part (NuGet.Protocol's HTTP set-up, the request's start, tens of
    /// milliseconds the first time) then never holds the lock that other lookups take.
    /// </summary>
    private static (Task<T> Load, Task<Task<T>> Start) Deferred<T>(Func<Task<T>> load)
    {
        var start = new Task<Task<T>>(load);
        return (start.Unwrap(), start);
    }

    private async Task<Endpoints> LoadEndpointsAsync()
    {
        // Bounded on its own (shared by every lookup waiting for it): a hanging service index must not pin later lookups.
        using var timeout = new CancellationTokenSource(_serviceIndexTimeout, _time);
        var http = (await Repository.GetResourceAsync<HttpSourceResource>(timeout.Token))?.HttpSource
            ?? throw new InvalidOperationException($"The package source {DisplayName} cannot be reached over HTTP.");
        var read = ReadAsync(http, Source.SourceUri, ReadServiceIndexAsync, timeout.Token);
        // While it is on its way, the code that will read it, the registrations and the first answer gets compiled.
        CompileAhead.StartOnce(_maxResponseBytes);
        var json = await read
            ?? throw new InvalidDataException($"The package source {DisplayName} has no service index.");
        var index = new ServiceIndexResourceV3(json, _time.GetUtcNow().UtcDateTime);
        var registrationBase = index.GetServiceEntryUri(ServiceTypes.RegistrationsBaseUrl)
            ?? throw new InvalidDataException($"The package source {DisplayName} offers no registration resource.");
        return new Endpoints(http, new RegistrationResourceV3(http, registrationBase),
            index.GetServiceEntryUri(ServiceTypes.PackageBaseAddress), index.GetServiceEntryUri(VulnerabilityInfoType));
    }

    private sealed record Endpoints(HttpSource Http, RegistrationResourceV3 Registration, Uri? PackageBaseAddress, Uri? VulnerabilityInfo);
}
