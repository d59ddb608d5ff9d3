using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Anexia.Monitoring.Mvc.Security;
using Microsoft.Extensions.Options;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// The .NET release metadata, in the format of dotnet/core's <c>releases-index.json</c> and each channel's
/// <c>releases.json</c>: the running channel's newest runtime, support phase and end of support from the index, and
/// the CVEs of the channel's security releases newer than the running runtime from the channel's file (read only when
/// the running runtime is not the newest). Answers are bounded like a feed's and parsed as they stream in.
/// </summary>
internal sealed class ReleaseMetadata : IDisposable
{
    /// <summary>The official index.</summary>
    public const string OfficialIndex = "https://builds.dotnet.microsoft.com/dotnet/release-metadata/releases-index.json";

    /// <summary>The most channels, releases, and CVEs per release one answer may list.</summary>
    public const int MaxItems = 2_000;

    private readonly HttpClient _http;
    private readonly long _maxBytes;

    public ReleaseMetadata(IOptions<AnxMonitoringOptions> options)
    {
        Index = string.IsNullOrWhiteSpace(options.Value.RuntimeReleasesIndex) ? null : new Uri(options.Value.RuntimeReleasesIndex);
        _maxBytes = options.Value.MaxFeedResponseBytes;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 2,
            MaxAutomaticRedirections = 5,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The index's address; null when <see cref="AnxMonitoringOptions.RuntimeReleasesIndex"/> switches the metadata off.</summary>
    public Uri? Index { get; }

    /// <summary>
    /// The status of <paramref name="running"/>: <see cref="ModuleInfo.NewestVersion"/> is the channel's newest runtime,
    /// <see cref="ModuleInfo.Platform"/> the rest; <see cref="ModuleInfo.Unknown"/> when the index does not list the channel.
    /// </summary>
    public async Task<ModuleInfo> LookupAsync(NuGetVersion running, CancellationToken cancellationToken)
    {
        var channelVersion = $"{running.Major}.{running.Minor}";
        var index = await ReadAsync(Index ?? throw new InvalidOperationException("The release metadata is switched off."), ReleaseMetadataContext.Default.ChannelIndex, cancellationToken);
        var channel = index.Channels?.LastOrDefault(c => c?.ChannelVersion == channelVersion);
        if (channel is null)
        {
            return ModuleInfo.Unknown;
        }

        var newest = NuGetVersion.TryParse(channel.LatestRuntime, out var latest) ? latest : null;
        var missed = new List<PlatformVulnerability>();
        if (newest is not null && newest > running)
        {
            var address = ReportedValues.Url(channel.ReleasesJson) is { } url ? new Uri(url)
                : throw new InvalidDataException($"The release index gives no http(s) address for the releases of {channelVersion}.");
            var releases = await ReadAsync(address, ReleaseMetadataContext.Default.ChannelReleases, cancellationToken);
            foreach (var release in releases.Releases ?? [])
            {
                if (release is { Security: true }
                    && NuGetVersion.TryParse(release.Runtime?.Version ?? release.ReleaseVersion, out var fixedIn)
                    && fixedIn > running)
                {
                    foreach (var cve in release.Cves ?? [])
                    {
                        if (cve is { Id: { } id, Url: { } advisory })
                        {
                            missed.Add(new PlatformVulnerability(id, advisory, fixedIn.ToNormalizedString()));
                        }
                    }
                }
            }
        }

        var vulnerabilities = missed
            .GroupBy(v => v.Id, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.MinBy(v => NuGetVersion.Parse(v.FixedIn))!)
            .OrderBy(v => NuGetVersion.Parse(v.FixedIn))
            .ThenBy(v => v.Id, StringComparer.Ordinal)
            .ToList();
        return new ModuleInfo(newest, [], []) { Platform = new PlatformStatus(channel.SupportPhase, channel.EolDate, vulnerabilities) };
    }

    public void Dispose() => _http.Dispose();

    private async Task<T> ReadAsync<T>(Uri address, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await _http.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{SecretMasker.Apply(address.AbsoluteUri)} answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        await using var body = new BoundedReadStream(await response.Content.ReadAsStreamAsync(cancellationToken), _maxBytes, address);
        return await JsonSerializer.DeserializeAsync(body, type, cancellationToken)
            ?? throw new InvalidDataException($"{SecretMasker.Apply(address.AbsoluteUri)} is empty.");
    }

    internal sealed class ChannelIndex
    {
        [JsonPropertyName("releases-index")]
        public Bounded<Channel?>? Channels { get; set; }
    }

    internal sealed class Channel
    {
        [JsonPropertyName("channel-version")]
        public string? ChannelVersion { get; set; }

        [JsonPropertyName("latest-runtime")]
        public string? LatestRuntime { get; set; }

        [JsonPropertyName("support-phase")]
        public string? SupportPhase { get; set; }

        [JsonPropertyName("eol-date")]
        public string? EolDate { get; set; }

        [JsonPropertyName("releases.json")]
        public string? ReleasesJson { get; set; }
    }

    internal sealed class ChannelReleases
    {
        [JsonPropertyName("releases")]
        public Bounded<Release?>? Releases { get; set; }
    }

    internal sealed class Release
    {
        [JsonPropertyName("release-version")]
        public string? ReleaseVersion { get; set; }

        [JsonPropertyName("security")]
        public bool? Security { get; set; }

        [JsonPropertyName("runtime")]
        public RuntimeRelease? Runtime { get; set; }

        [JsonPropertyName("cve-list")]
        public Bounded<Cve?>? Cves { get; set; }
    }

    internal sealed class RuntimeRelease
    {
        [JsonPropertyName("version")]
        public string? Version { get; set; }
    }

    internal sealed class Cve
    {
        [JsonPropertyName("cve-id")]
        public string? Id { get; set; }

        [JsonPropertyName("cve-url")]
        public string? Url { get; set; }
    }

    internal sealed class Bounded<T>() : BoundedList<T>(MaxItems, "The release metadata lists more than {0} items in one list.");
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ReleaseMetadata.ChannelIndex))]
[JsonSerializable(typeof(ReleaseMetadata.ChannelReleases))]
internal sealed partial class ReleaseMetadataContext : JsonSerializerContext;
