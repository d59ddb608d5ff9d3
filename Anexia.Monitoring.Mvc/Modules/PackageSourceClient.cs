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
/// One package source for the process lifetime: one <see cref="SourceRepository"/>, one pooled HTTP client.
/// Every request goes through NuGet.Protocol's <see cref="HttpSource"/> without its disk cache (the answers
/// are cached in memory by <see cref="ModulesCatalog"/>), so a long-running server writes no files per lookup
/// and works on a read-only file system. A registration index costs one request, a paged one one more per page.
/// </summary>
internal sealed class PackageSourceClient
{
    // One try: NuGet's own retry loop (seconds of back-off per failing package) would decide how long a broken
    // source holds the lookup slots. A failed lookup is instead remembered briefly and asked again later.
    private const int MaxTries = 1;

    // The vulnerability data of a large feed is a few megabytes, read once per cache lifetime by one background load.
    private static readonly TimeSpan MinimumVulnerabilityLoadTimeout = TimeSpan.FromSeconds(60);

    // The service index type of NuGet's VulnerabilityInfo resource (NuGet.Protocol keeps its own constant internal).
    private const string VulnerabilityInfoType = "VulnerabilityInfo/6.7.0";

    private readonly SourceRepository _repository;
    private readonly TimeSpan _serviceIndexTimeout;
    private readonly TimeSpan _cacheLifetime;
    private readonly TimeSpan _failureCacheLifetime;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private Task<Endpoints>? _endpoints;
    private Task<VulnerabilityDatabase?>? _vulnerabilities;
    private long _vulnerabilitiesLoadStarted;

    /// <param name="source">The source.</param>
    /// <param name="serviceIndexTimeout">How long reading the service index may take (the lookup timeout).</param>
    /// <param name="cacheLifetime">How long the source's vulnerability data is kept.</param>
    /// <param name="failureCacheLifetime">How long a failed read of the vulnerability data is remembered.</param>
    /// <param name="time">The clock of those lifetimes.</param>
    public PackageSourceClient(PackageSource source, TimeSpan serviceIndexTimeout, TimeSpan cacheLifetime, TimeSpan failureCacheLifetime, TimeProvider time)
    {
        Source = source;
        _serviceIndexTimeout = serviceIndexTimeout;
        _cacheLifetime = cacheLifetime;
        _failureCacheLifetime = failureCacheLifetime;
        _time = time;
        _repository = Repository.Factory.GetCoreV3(source);
        Health = new PackageSourceHealth(time, failureCacheLifetime);
        DisplayName = SecretMasker.Apply(source.Source);
    }

    public PackageSource Source { get; }

    /// <summary>The source's address for messages, with any credentials in it masked.</summary>
    public string DisplayName { get; }

    /// <summary>Whether every lookup against this source has been failing, for the outage warning.</summary>
    public PackageSourceHealth Health { get; }

    /// <summary>The versions the source lists for <paramref name="id"/>, or null when it does not know the package.</summary>
    public async Task<IReadOnlyList<PackageVersionEntry>?> GetVersionsAsync(string id, CancellationToken cancellationToken)
    {
        if (Source.IsLocal)
        {
            return await GetLocalVersionsAsync(id, cancellationToken);
        }

        var endpoints = await GetEndpointsAsync(cancellationToken);
        var index = await GetJsonAsync(endpoints.Http, endpoints.Registration.GetUri(id), cancellationToken);
        if (index is null)
        {
            return null;
        }

        var entries = new List<PackageVersionEntry>();
        foreach (var page in Items(index))
        {
            var leaves = page["items"] as JArray;
            if (leaves is null)
            {
                // A paged registration: the page's entries live at its own address.
                var pageUrl = page.Value<string>("@id") ?? throw new InvalidDataException("A registration page has neither items nor an address.");
                var fetched = await GetJsonAsync(endpoints.Http, new Uri(pageUrl), cancellationToken)
                    ?? throw new InvalidDataException($"The registration page {pageUrl} is missing.");
                leaves = fetched["items"] as JArray ?? throw new InvalidDataException($"The registration page {pageUrl} has no items.");
            }

            foreach (var leaf in leaves.OfType<JObject>())
            {
                if (leaf["catalogEntry"] is not JObject catalogEntry)
                {
                    continue;
                }

                var metadata = catalogEntry.FromJToken<PackageSearchMetadataRegistration>();

                // A registration entry counts only if it really belongs to the requested id.
                if (metadata?.Identity?.Version is null || !string.Equals(metadata.PackageId, id, StringComparison.OrdinalIgnoreCase))
                {
                    continue;
                }

                entries.Add(new PackageVersionEntry(metadata.Identity.Version, metadata.IsListed,
                    Licences.From(metadata.LicenseExpression, metadata.LicenseUrl?.OriginalString))
                {
                    Vulnerabilities = KnownVulnerability.From(metadata.Vulnerabilities),
                    Deprecation = PackageDeprecation.From(metadata.DeprecationMetadata),
                });
            }
        }

        return entries;
    }

    /// <summary>The licences a version's nuspec declares; empty when the source has no such nuspec.</summary>
    public async Task<IReadOnlyList<string>> GetNuspecLicencesAsync(string id, NuGetVersion version, CancellationToken cancellationToken)
    {
        if (Source.IsLocal)
        {
            return [];
        }

        var endpoints = await GetEndpointsAsync(cancellationToken);
        if (endpoints.PackageBaseAddress is null)
        {
            return [];
        }

        var lowerId = id.ToLowerInvariant();
        var lowerVersion = version.ToNormalizedString().ToLowerInvariant();
        var uri = new Uri($"{endpoints.PackageBaseAddress.AbsoluteUri.TrimEnd('/')}/{lowerId}/{lowerVersion}/{lowerId}.nuspec");
        return await endpoints.Http.ProcessStreamAsync(
            Request(uri),
            stream => Task.FromResult(stream is null ? [] : Licences.From(new NuspecReader(stream))),
            NuGetLogger.Instance,
            cancellationToken);
    }

    /// <summary>
    /// The source's vulnerability data, or null when it publishes none (no VulnerabilityInfo resource, or a local
    /// folder). Read once per cache lifetime and shared by every lookup; a failed read is tried again after the
    /// failure lifetime, and lookups meanwhile fall back to the registration entries.
    /// </summary>
    public Task<VulnerabilityDatabase?> GetVulnerabilitiesAsync(CancellationToken cancellationToken)
    {
        if (Source.IsLocal)
        {
            return Task.FromResult<VulnerabilityDatabase?>(null);
        }

        lock (_gate)
        {
            var current = _vulnerabilities;
            if (current is null
                || (current.IsCompleted && _time.GetElapsedTime(_vulnerabilitiesLoadStarted) >= (current.IsCompletedSuccessfully ? _cacheLifetime : _failureCacheLifetime)))
            {
                _vulnerabilitiesLoadStarted = _time.GetTimestamp();
                _vulnerabilities = current = LoadVulnerabilitiesAsync();
            }

            return current.WaitAsync(cancellationToken);
        }
    }

    private async Task<VulnerabilityDatabase?> LoadVulnerabilitiesAsync()
    {
        using var timeout = new CancellationTokenSource(_serviceIndexTimeout > MinimumVulnerabilityLoadTimeout ? _serviceIndexTimeout : MinimumVulnerabilityLoadTimeout);
        var endpoints = await GetEndpointsAsync(timeout.Token);
        if (endpoints.VulnerabilityInfo is null)
        {
            return null;
        }

        var index = await endpoints.Http.ProcessStreamAsync(
            Request(endpoints.VulnerabilityInfo),
            stream => Task.FromResult(stream is null ? null : VulnerabilityDatabase.ReadIndex(stream)),
            NuGetLogger.Instance,
            timeout.Token)
            ?? throw new InvalidDataException($"The vulnerability index of {Source.Source} is missing.");
        var files = await Task.WhenAll(index.Select(entry => endpoints.Http.ProcessStreamAsync(
            Request(entry.Url),
            stream => Task.FromResult(stream is null
                ? throw new InvalidDataException($"The vulnerability data file {entry.Url} is missing.")
                : VulnerabilityDatabase.ReadFile(stream)),
            NuGetLogger.Instance,
            timeout.Token)));
        return VulnerabilityDatabase.From(files);
    }

    private static IEnumerable<JObject> Items(JObject index) =>
        (index["items"] as JArray ?? throw new InvalidDataException("The registration index has no items.")).OfType<JObject>();

    private static HttpSourceRequest Request(Uri uri) => new(uri, NuGetLogger.Instance)
    {
        IgnoreNotFounds = true,
        MaxTries = MaxTries,
    };

    private static async Task<JObject?> GetJsonAsync(HttpSource http, Uri uri, CancellationToken cancellationToken) =>
        await http.ProcessStreamAsync(
            Request(uri),
            async stream =>
            {
                if (stream is null)
                {
                    return null;
                }

                using var reader = new JsonTextReader(new StreamReader(stream));
                return await JObject.LoadAsync(reader, cancellationToken);
            },
            NuGetLogger.Instance,
            cancellationToken);

    private async Task<IReadOnlyList<PackageVersionEntry>?> GetLocalVersionsAsync(string id, CancellationToken cancellationToken)
    {
        var resource = await _repository.GetResourceAsync<PackageMetadataResource>(cancellationToken)
            ?? throw new InvalidOperationException($"The folder {Source.Source} cannot be read as a package source.");
        using var cache = new SourceCacheContext();
        var found = (await resource.GetMetadataAsync(id, includePrerelease: true, includeUnlisted: true, cache, NuGetLogger.Instance, cancellationToken)).ToList();
        if (found.Count == 0)
        {
            return null;
        }

        return found
            .Where(m => string.Equals(m.Identity.Id, id, StringComparison.OrdinalIgnoreCase))
            .Select(m => new PackageVersionEntry(m.Identity.Version, m.IsListed,
                Licences.From(m.LicenseMetadata?.Type == LicenseType.Expression ? m.LicenseMetadata.License : null, m.LicenseUrl?.OriginalString)))
            .ToList();
    }

    /// <summary>The service index, read once; a failed read is retried by the next lookup.</summary>
    private Task<Endpoints> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_endpoints is null || _endpoints.IsFaulted || _endpoints.IsCanceled)
            {
                _endpoints = LoadEndpointsAsync();
            }

            return _endpoints.WaitAsync(cancellationToken);
        }
    }

    private async Task<Endpoints> LoadEndpointsAsync()
    {
        // Bounded on its own (shared by every lookup waiting for it): a hanging service index must not pin later lookups.
        using var timeout = new CancellationTokenSource(_serviceIndexTimeout);
        var http = (await _repository.GetResourceAsync<HttpSourceResource>(timeout.Token))?.HttpSource
            ?? throw new InvalidOperationException($"The package source {Source.Source} cannot be reached over HTTP.");
        var json = await GetJsonAsync(http, Source.SourceUri, timeout.Token)
            ?? throw new InvalidDataException($"The package source {Source.Source} has no service index.");
        var index = new ServiceIndexResourceV3(json, DateTime.UtcNow);
        var registrationBase = index.GetServiceEntryUri(ServiceTypes.RegistrationsBaseUrl)
            ?? throw new InvalidDataException($"The package source {Source.Source} offers no registration resource.");
        return new Endpoints(http, new RegistrationResourceV3(http, registrationBase),
            index.GetServiceEntryUri(ServiceTypes.PackageBaseAddress), index.GetServiceEntryUri(VulnerabilityInfoType));
    }

    private sealed record Endpoints(HttpSource Http, RegistrationResourceV3 Registration, Uri? PackageBaseAddress, Uri? VulnerabilityInfo);
}
