using Anexia.Monitoring.Mvc.Security;
using NuGet.Configuration;
using NuGet.Protocol;
using NuGet.Protocol.Core.Types;
using NuGet.Versioning;
using NuGetLogger = NuGet.Common.NullLogger;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// A NuGet v3 feed as an <see cref="IPackageSource"/>, for the process lifetime: one <see cref="SourceRepository"/>,
/// one pooled HTTP client, NuGet.Protocol's resources for the service index, credentials and HTTP policy.
/// Every request goes through NuGet.Protocol's <see cref="HttpSource"/> without its disk cache (the answers
/// are cached in memory by <see cref="ModuleLookups"/>), so a long-running server writes no files per lookup
/// and works on a read-only file system. A registration index costs one request, a paged one one more per page.
/// Every answer is read through <see cref="BoundedReadStream"/> (at most
/// <see cref="AnxMonitoringOptions.MaxFeedResponseBytes"/>) and parsed as it streams into the few fields
/// <c>modules</c> reports. Per source, at most <see cref="AnxMonitoringOptions.LookupConcurrency"/> requests are in
/// flight, and the source's credentials go only to its own scheme, host and port (docs/security.md).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "A SemaphoreSlim holds nothing to dispose unless its wait handle is asked for, which it never is here.")]
internal sealed class HttpFeedSource(
    PackageSource source,
    TimeSpan serviceIndexTimeout,
    TimeSpan cacheLifetime,
    TimeSpan failureCacheLifetime,
    TimeProvider time,
    long maxResponseBytes,
    int maxConnections)
    : PackageSourceBase(source, new SourceRepository(source, HttpProviders), failureCacheLifetime, time)
{
    // One try: NuGet's own retry loop (seconds of back-off per failing package) would decide how long a broken
    // source holds the lookup slots. A failed lookup is instead remembered briefly and asked again later.
    private const int MaxTries = 1;

    /// <summary>The most versions of one package read from the pages of its registration (the newest ones).</summary>
    public const int MaxVersionsPerPackage = RegistrationJson.MaxEntries;

    // The vulnerability data of a large feed is a few megabytes, read once per cache lifetime by one background load.
    private static readonly TimeSpan MinimumVulnerabilityLoadTimeout = TimeSpan.FromSeconds(60);

    // The service index type of NuGet's VulnerabilityInfo resource (NuGet.Protocol keeps its own constant internal).
    private const string VulnerabilityInfoType = "VulnerabilityInfo/6.7.0";

    // The resource providers an HTTP source needs here: NuGet.Protocol's HttpSource and, under it, its HTTP handler
    // (proxy, credentials). The service index and registrations are read through the HttpSource, so the other thirty-odd
    // providers of Repository.Factory.GetCoreV3 would only be compiled and sorted on the first lookup, never used.
    private static readonly INuGetResourceProvider[] HttpProviders = [new HttpSourceResourceProvider(), new HttpHandlerResourceV3Provider()];

    private readonly TimeSpan _serviceIndexTimeout = serviceIndexTimeout;
    private readonly TimeSpan _cacheLifetime = cacheLifetime;
    private readonly TimeSpan _failureCacheLifetime = failureCacheLifetime;
    private readonly TimeProvider _time = time;
    private readonly long _maxResponseBytes = maxResponseBytes;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _connections = new(maxConnections);

    // Resources a service index names on another origin are asked through a twin of the source without its
    // credentials (NuGet.Protocol keeps one HTTP client per source, with the credentials it answers challenges with).
    private readonly Lazy<SourceRepository>? _otherOrigins = source.Credentials is null
        ? null
        : new(() => new SourceRepository(new PackageSource(source.Source, source.Name + " (other origins)"), HttpProviders));

    private Task<Endpoints>? _endpoints;
    private Task<VulnerabilityDatabase?>? _vulnerabilities;
    private long _vulnerabilitiesLoadStarted;

    /// <summary>
    /// The versions the source lists for <paramref name="id"/>, or null when it does not know the package. Pages are
    /// taken newest first until <see cref="MaxVersionsPerPackage"/> versions are kept; beyond that only the entry of
    /// <paramref name="installed"/> is kept, and one more page is read only when its range says it holds that version.
    /// </summary>
    public override async Task<IReadOnlyList<PackageVersionEntry>?> GetVersionsAsync(string id, NuGetVersion? installed, CancellationToken cancellationToken)
    {
        var endpoints = await GetEndpointsAsync(cancellationToken);
        var index = await ReadAsync(endpoints, endpoints.Registration.GetUri(id), RegistrationJson.ReadIndexAsync, cancellationToken);
        if (index is null)
        {
            return null;
        }

        var entries = new List<PackageVersionEntry>();
        var pages = index.Items ?? throw new InvalidDataException("The registration index has no items.");
        var kept = 0;
        for (var i = pages.Count - 1; i >= 0; i--)
        {
            var page = pages[i];
            var pastTheBound = kept >= MaxVersionsPerPackage;
            if (pastTheBound && (installed is null || entries.Any(e => e.Version == installed)))
            {
                break;
            }

            IEnumerable<RegistrationJson.Leaf>? leaves = page.Items;
            var fetched = leaves is null;
            if (fetched)
            {
                if (pastTheBound && !page.Holds(installed!))
                {
                    continue;
                }

                // A paged registration: the page's entries live at its own address.
                var pageUrl = page.Address ?? throw new InvalidDataException("A registration page has neither items nor an address.");
                var read = await ReadAsync(endpoints, new Uri(pageUrl), RegistrationJson.ReadPageAsync, cancellationToken)
                    ?? throw new InvalidDataException($"The registration page {SecretMasker.Apply(pageUrl)} is missing.");
                leaves = read.Items ?? throw new InvalidDataException($"The registration page {SecretMasker.Apply(pageUrl)} has no items.");
            }

            var found = RegistrationJson.EntriesOf(leaves!, id).ToList();
            if (!pastTheBound)
            {
                // The newest of the page (its entries go oldest first), and the installed version's wherever it is.
                var room = MaxVersionsPerPackage - kept;
                entries.AddRange(found.Count <= room ? found : [.. found[^room..], .. found[..^room].Where(e => e.Version == installed).Take(1)]);
                kept += Math.Min(found.Count, room);
                continue;
            }

            // Past the bound: only the installed version's entry, and from one more fetched page at most.
            entries.AddRange(found.Where(e => e.Version == installed).Take(1));
            if (fetched)
            {
                break;
            }
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
        return await ReadAsync(endpoints, uri, Licences.FromNuspecAsync, cancellationToken) ?? [];
    }

    /// <summary>
    /// The source's vulnerability data, or null when it publishes none (no VulnerabilityInfo resource). Read once per cache lifetime and shared by every lookup; a failed read is tried again after the
    /// failure lifetime, and lookups meanwhile fall back to the registration entries.
    /// </summary>
    public override Task<VulnerabilityDatabase?> GetVulnerabilitiesAsync(CancellationToken cancellationToken)
    {
        Task<VulnerabilityDatabase?>? current;
        lock (_gate)
        {
            current = _vulnerabilities;
            if (current is null
                || (current.IsCompleted && _time.GetElapsedTime(_vulnerabilitiesLoadStarted) >= (current.IsCompletedSuccessfully ? _cacheLifetime : _failureCacheLifetime)))
            {
                // On the pool: the lock only publishes the load, whose first part (NuGet.Protocol's set-up) is slow.
                _vulnerabilitiesLoadStarted = _time.GetTimestamp();
                _vulnerabilities = current = Task.Run(LoadVulnerabilitiesAsync);
            }
        }

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

        var (files, skipped) = await ReadAsync(endpoints, endpoints.VulnerabilityInfo, VulnerabilityDatabase.ReadIndexAsync, timeout.Token)
            ?? throw new InvalidDataException($"The vulnerability index of {DisplayName} is missing.");
        var database = new VulnerabilityDatabase();
        database.SkipFiles(skipped);
        await Parallel.ForEachAsync(
            files,
            new ParallelOptions { MaxDegreeOfParallelism = VulnerabilityDatabase.FileConcurrency, CancellationToken = timeout.Token },
            async (file, ct) =>
            {
                // A data file is read whole (within MaxFeedResponseBytes), then only what the bounds allow is kept.
                var read = await ReadAsync(endpoints, file, async (stream, c) =>
                {
                    using var copy = new MemoryStream();
                    await stream.CopyToAsync(copy, c);
                    database.Add(copy.GetBuffer().AsSpan(0, (int)copy.Length));
                    return database;
                }, ct);
                _ = read ?? throw new InvalidDataException($"The vulnerability data file {SecretMasker.Apply(file.AbsoluteUri)} is missing.");
            });
        return database;
    }

    /// <summary>
    /// Reads one answer of the source through <see cref="BoundedReadStream"/> and <paramref name="parse"/>, within the
    /// source's connection limit and, on another origin than the source's, without its credentials; null when the
    /// source answers 404.
    /// </summary>
    private Task<T?> ReadAsync<T>(Endpoints endpoints, Uri uri, Func<Stream, CancellationToken, Task<T>> parse, CancellationToken cancellationToken)
        where T : class =>
        ReadAsync(endpoints.OtherOrigins is { } other && !SameOrigin(uri, Source.SourceUri) ? other : endpoints.Http, uri, parse, cancellationToken);

    private async Task<T?> ReadAsync<T>(HttpSource http, Uri uri, Func<Stream, CancellationToken, Task<T>> parse, CancellationToken cancellationToken)
        where T : class
    {
        await _connections.WaitAsync(cancellationToken);
        try
        {
            return await http.ProcessStreamAsync<T?>(
                new HttpSourceRequest(uri, NuGetLogger.Instance) { IgnoreNotFounds = true, MaxTries = MaxTries },
                async stream => stream is null ? null : await parse(new BoundedReadStream(stream, _maxResponseBytes, uri), cancellationToken),
                NuGetLogger.Instance,
                cancellationToken);
        }
        finally
        {
            _connections.Release();
        }
    }

    private static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase)
        && a.Port == b.Port;

    /// <summary>The service index, read once; a failed read is retried by the next lookup.</summary>
    private Task<Endpoints> GetEndpointsAsync(CancellationToken cancellationToken)
    {
        Task<Endpoints> current;
        lock (_gate)
        {
            if (_endpoints is null || _endpoints.IsFaulted || _endpoints.IsCanceled)
            {
                _endpoints = Task.Run(LoadEndpointsAsync);
            }

            current = _endpoints;
        }

        return current.WaitAsync(cancellationToken);
    }

    private async Task<Endpoints> LoadEndpointsAsync()
    {
        // Bounded on its own (shared by every lookup waiting for it): a hanging service index must not pin later lookups.
        using var timeout = new CancellationTokenSource(_serviceIndexTimeout, _time);
        var http = (await Repository.GetResourceAsync<HttpSourceResource>(timeout.Token))?.HttpSource
            ?? throw new InvalidOperationException($"The package source {DisplayName} cannot be reached over HTTP.");
        var json = await ReadAsync(http, Source.SourceUri, ServiceIndexJson.ReadAsync, timeout.Token)
            ?? throw new InvalidDataException($"The package source {DisplayName} has no service index.");
        var index = new ServiceIndexResourceV3(json, _time.GetUtcNow().UtcDateTime);
        var registrationBase = index.GetServiceEntryUri(ServiceTypes.RegistrationsBaseUrl)
            ?? throw new InvalidDataException($"The package source {DisplayName} offers no registration resource.");
        var otherOrigins = _otherOrigins is null
            ? null
            : (await _otherOrigins.Value.GetResourceAsync<HttpSourceResource>(timeout.Token))?.HttpSource;
        return new Endpoints(http, otherOrigins, new RegistrationResourceV3(http, registrationBase),
            index.GetServiceEntryUri(ServiceTypes.PackageBaseAddress), index.GetServiceEntryUri(VulnerabilityInfoType));
    }

    /// <summary>What the service index offers; <c>OtherOrigins</c> is the client without the source's credentials (null when it has none).</summary>
    private sealed record Endpoints(HttpSource Http, HttpSource? OtherOrigins, RegistrationResourceV3 Registration, Uri? PackageBaseAddress, Uri? VulnerabilityInfo);
}
