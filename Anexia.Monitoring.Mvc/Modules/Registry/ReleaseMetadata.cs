using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Anexia.Monitoring.Mvc.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// The .NET release metadata, in the format of dotnet/core's <c>releases-index.json</c> and each channel's
/// <c>releases.json</c>: the running channel's newest runtime, support phase and end of support from the index, and
/// the CVEs of the channel's security releases newer than the running runtime from the channel's file (read only when
/// the running runtime is not the newest). Answers are bounded like a feed's and parsed as they stream in.
/// </summary>
internal sealed partial class ReleaseMetadata : IDisposable
{
    /// <summary>The official index.</summary>
    public const string OfficialIndex = "https://builds.dotnet.microsoft.com/dotnet/release-metadata/releases-index.json";

    /// <summary>The most items (channels, releases and CVEs together) one answer may list.</summary>
    public const int MaxItems = 5_000;

    private readonly HttpClient _http;
    private readonly long _maxBytes;
    private readonly ILogger<ReleaseMetadata> _logger;
    private readonly Telemetry.AnxMonitoringTelemetry? _telemetry;
    private int _failing;

    public ReleaseMetadata(IOptions<AnxMonitoringOptions> options, ILogger<ReleaseMetadata> logger, Telemetry.AnxMonitoringTelemetry? telemetry = null)
    {
        _logger = logger;
        _telemetry = telemetry;
        Index = string.IsNullOrWhiteSpace(options.Value.RuntimeReleasesIndex) ? null : new Uri(options.Value.RuntimeReleasesIndex);
        _maxBytes = options.Value.MaxFeedResponseBytes;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.All,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = 2,
            MaxAutomaticRedirections = 3,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>The index's address; null when <see cref="AnxMonitoringOptions.RuntimeReleasesIndex"/> switches the metadata off.</summary>
    public Uri? Index { get; }

    /// <summary>
    /// The status of the runtime <paramref name="running"/>, its values checked (<see cref="ReportedValues"/>):
    /// <see cref="ModuleInfo.NewestVersion"/> is the channel's newest runtime, <see cref="ModuleInfo.Platform"/> the rest.
    /// A failure (an index without the channel included) is logged as a Warning once, until the metadata answers again.
    /// </summary>
    public async Task<ModuleInfo> LookupAsync(string running, CancellationToken cancellationToken)
    {
        try
        {
            var info = ReportedValues.Check(await ReadStatusAsync(NuGetVersion.Parse(running), cancellationToken), out var dropped);
            _telemetry?.CountRejected("release-metadata", "value", dropped);
            if (Interlocked.Exchange(ref _failing, 0) == 1)
            {
                Log.Recovered(_logger);
            }

            return info;
        }
        catch (Exception ex) when (Interlocked.Exchange(ref _failing, 1) == 0)
        {
            var reason = ex is OperationCanceledException ? "no answer within LookupTimeout" : SecretMasker.ForLog(ex.Message);
            Log.Failed(_logger, SecretMasker.Apply(Index?.AbsoluteUri ?? string.Empty), reason);
            throw;
        }
    }

    private async Task<ModuleInfo> ReadStatusAsync(NuGetVersion running, CancellationToken cancellationToken)
    {
        var channelVersion = $"{running.Major}.{running.Minor}";
        var index = await ReadAsync(Index ?? throw new InvalidOperationException("The release metadata is switched off."), ReleaseMetadataContext.Default.ChannelIndex, cancellationToken);
        var channel = index.Channels?.LastOrDefault(c => c?.ChannelVersion == channelVersion)
            ?? throw new InvalidDataException($"The release index does not list the channel {channelVersion}.");

        var newest = Version(channel.LatestRuntime);
        var missed = new List<(PlatformVulnerability Vulnerability, NuGetVersion FixedIn)>();
        if (newest is not null && newest > running)
        {
            // Not weaker than the index: an https index naming an http file would let anyone on the way hide CVEs.
            var address = ReportedValues.Url(channel.ReleasesJson) is { } url && (Index!.Scheme == Uri.UriSchemeHttp || url.StartsWith("https:", StringComparison.OrdinalIgnoreCase))
                ? new Uri(url)
                : throw new InvalidDataException($"The release index gives no {Index!.Scheme} address for the releases of {channelVersion}.");
            var releases = await ReadAsync(address, ReleaseMetadataContext.Default.ChannelReleases, cancellationToken);
            foreach (var release in releases.Releases ?? [])
            {
                if (release is { Security: true } && Version(release.Runtime?.Version ?? release.ReleaseVersion) is { } fixedIn && fixedIn > running)
                {
                    var text = fixedIn.ToNormalizedString();
                    missed.AddRange((release.Cves ?? []).Where(c => c is { Id: not null, Url: not null }).Select(c => (new PlatformVulnerability(c!.Id!, c.Url!, text), fixedIn)));
                }
            }
        }

        var vulnerabilities = missed
            .GroupBy(m => m.Vulnerability.Id, StringComparer.OrdinalIgnoreCase)
            .Select(g => g.MinBy(m => m.FixedIn))
            .OrderBy(m => m.FixedIn)
            .ThenBy(m => m.Vulnerability.Id, StringComparer.Ordinal)
            .Select(m => m.Vulnerability)
            .ToList();
        return new ModuleInfo(newest, [], []) { Platform = new PlatformStatus(channel.SupportPhase, channel.EolDate, vulnerabilities) };
    }

    public void Dispose() => _http.Dispose();

    /// <summary>A version of the metadata, or null; a long one is not even parsed (ReportedValues would drop it anyway).</summary>
    private static NuGetVersion? Version(string? text) =>
        text is { Length: <= ReportedValues.MaxVersionLength } && NuGetVersion.TryParse(text, out var version) ? version : null;

    private async Task<T> ReadAsync<T>(Uri address, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        using var response = await _http.GetAsync(address, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{SecretMasker.Apply(address.AbsoluteUri)} answered {(int)response.StatusCode}.", null, response.StatusCode);
        }

        await using var body = new BoundedReadStream(await response.Content.ReadAsStreamAsync(cancellationToken), _maxBytes, address);
        BoundedList.BeginAnswer(MaxItems);
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

    internal sealed class Bounded<T>() : BoundedList<T>(MaxItems, "The release metadata lists more than {0} items.", countsAgainstAnswer: true);

    private static partial class Log
    {
        [LoggerMessage(EventId = 314, EventName = "RuntimeReleasesFailed", Level = LogLevel.Warning,
            Message = "The .NET release metadata at {Index} cannot be read, so the runtime's status (newest patch, support, missed security fixes) is null until it can (asked again after ModulesFailureCacheLifetime; without internet access, set RuntimeReleasesIndex or ANX_MONITORING_RUNTIME_RELEASES_INDEX to a mirror, or to empty to switch this off): {Reason}")]
        public static partial void Failed(ILogger logger, string index, string reason);

        [LoggerMessage(EventId = 315, EventName = "RuntimeReleasesRecovered", Level = LogLevel.Information,
            Message = "The .NET release metadata answers again.")]
        public static partial void Recovered(ILogger logger);
    }
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ReleaseMetadata.ChannelIndex))]
[JsonSerializable(typeof(ReleaseMetadata.ChannelReleases))]
internal sealed partial class ReleaseMetadataContext : JsonSerializerContext;
