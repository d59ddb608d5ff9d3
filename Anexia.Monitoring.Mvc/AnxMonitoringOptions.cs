using System.ComponentModel.DataAnnotations;

namespace Anexia.Monitoring.Mvc;

/// <summary>
/// Settings of the Anexia monitoring endpoints. They bind from the configuration section
/// <see cref="SectionName"/> and from the flat keys the other Anexia implementations use
/// (<c>ANX_MONITORING_ACCESS_TOKEN</c>, <c>ANX_MONITORING_TEST_DB_CONNECTIONS</c>, ...: each setting names its
/// own); a flat key that is set wins. Every value is checked at start-up: one that cannot be read or is out of its
/// range stops the host with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming the key
/// it came from.
/// </summary>
public sealed class AnxMonitoringOptions
{
    /// <summary>The configuration section the settings bind from: <c>AnxMonitoring</c>.</summary>
    public const string SectionName = "AnxMonitoring";

    /// <summary>
    /// A health check registered with this tag (<c>AddCheck(..., tags: [AnxMonitoringOptions.HealthCheckExcludeTag])</c>)
    /// is left out of <c>up</c>: <c>anx-monitoring-exclude</c>.
    /// </summary>
    public const string HealthCheckExcludeTag = "anx-monitoring-exclude";

    // The range of durations: from a millisecond (or zero where allowed) to what a timer takes (about 24 days).
    private const string Positive = "00:00:00.001";
    private const string Longest = "24.20:31:23.647";

    /// <summary>
    /// The token a caller must pass, as the query parameter <c>access_token</c> or as the header
    /// <c>Authorization: Bearer &lt;token&gt;</c>. Default: none, and while neither this nor
    /// <see cref="AccessTokens"/> holds a token, every endpoint answers 401 and a warning is logged at start-up.
    /// Flat key: <c>ANX_MONITORING_ACCESS_TOKEN</c>.
    /// </summary>
    public string? AccessToken { get; set; }

    /// <summary>
    /// Further accepted tokens besides <see cref="AccessToken"/>, so that a token can be rotated without downtime:
    /// add the new one, move the dashboards over, remove the old one. Blank entries are ignored. Default: empty.
    /// Flat key: <c>ANX_MONITORING_ACCESS_TOKENS</c> (separated by <c>;</c>).
    /// </summary>
    public IList<string> AccessTokens { get; } = [];

    /// <summary>
    /// Whether <c>up</c> checks that every registered <c>DbContext</c> can open its connection.
    /// Default: <see langword="true"/>. Flat key: <c>ANX_MONITORING_TEST_DB_CONNECTIONS</c>.
    /// </summary>
    public bool TestDbConnections { get; set; } = true;

    /// <summary>
    /// Whether <c>up</c> runs a cheap query against the users table of every ASP.NET Core Identity context.
    /// Default: <see langword="true"/>. Flat key: <c>ANX_MONITORING_TEST_QUERY_USERS</c>.
    /// </summary>
    public bool TestQueryUsers { get; set; } = true;

    /// <summary>
    /// Whether <c>up</c> also runs the host's ASP.NET Core health checks (where the host called
    /// <c>AddHealthChecks()</c>): Degraded becomes <c>WARNING: &lt;name&gt;: &lt;description&gt;</c>, Unhealthy
    /// <c>ERROR: &lt;name&gt;: &lt;description&gt;</c>. Default: <see langword="true"/>.
    /// Flat key: <c>ANX_MONITORING_INCLUDE_HEALTH_CHECKS</c>.
    /// </summary>
    public bool IncludeHealthChecks { get; set; } = true;

    /// <summary>
    /// Names of the host's health checks that <c>up</c> leaves out (exact names, compared without regard to case);
    /// a check can also be left out with the tag <see cref="HealthCheckExcludeTag"/>. Default: empty.
    /// Flat key: <c>ANX_MONITORING_EXCLUDE_HEALTH_CHECKS</c> (separated by <c>;</c>).
    /// </summary>
    public IList<string> ExcludeHealthChecks { get; } = [];

    /// <summary>
    /// The lowest severity of a known vulnerability of an installed package that <c>up</c> reports, one line each:
    /// <c>WARNING: &lt;package&gt; &lt;version&gt; has a known &lt;severity&gt; vulnerability (&lt;advisory url&gt;)</c>.
    /// Default: <see langword="null"/>, no such lines. Read at start-up. The data is the <c>modules</c> endpoint's
    /// (same sources, same cache). Flat key: <c>ANX_MONITORING_VULNERABILITY_WARNING_SEVERITY</c>
    /// (<c>low</c>, <c>moderate</c>, <c>high</c>, <c>critical</c>, or <c>off</c>).
    /// </summary>
    public VulnerabilitySeverity? VulnerabilityWarningSeverity { get; set; }

    /// <summary>
    /// Advisories that the team has assessed as not exploitable in this application: advisory addresses, GHSA ids
    /// (<c>GHSA-xxxx-xxxx-xxxx</c>) or CVE ids of the runtime. A suppressed advisory stays in <c>modules</c> with
    /// <c>"suppressed": true</c>, raises no <c>WARNING:</c> line in <c>up</c> and is <c>not_affected</c> in the SBOM.
    /// Compared without regard to case. Default: empty. Flat key: <c>ANX_MONITORING_SUPPRESSED_ADVISORIES</c>
    /// (separated by <c>;</c>).
    /// </summary>
    public IList<string> SuppressedAdvisories { get; } = [];

    /// <summary>
    /// The .NET release metadata index (the format of dotnet/core's <c>releases-index.json</c>) that the running
    /// runtime's newest patch, support phase, end of support and missed security fixes are read from, for
    /// <c>modules</c>, the SBOM and a check of <c>up</c>. Default: the official index. Empty switches it off.
    /// Flat key: <c>ANX_MONITORING_RUNTIME_RELEASES_INDEX</c>.
    /// </summary>
    public string? RuntimeReleasesIndex { get; set; } = "https://builds.dotnet.microsoft.com/dotnet/release-metadata/releases-index.json";

    /// <summary>
    /// How long one check of <c>up</c> may run before it is reported as <c>ERROR: &lt;check&gt; timed out</c>.
    /// Default: 10 seconds. Must be positive and finite.
    /// Flat key: <c>ANX_MONITORING_CHECK_TIMEOUT</c> (seconds, or a time span such as <c>00:00:05</c>).
    /// </summary>
    [Range(typeof(TimeSpan), Positive, Longest, ParseLimitsInInvariantCulture = true)]
    public TimeSpan CheckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long the answer of a finished run of the <c>up</c> checks is given to further requests before the checks
    /// run again. Requests that arrive while a run is in flight always share it; this also bounds how often the
    /// checks run (and so the load on the databases) when probes arrive one after another, however fast.
    /// Default: 1 second. <see cref="TimeSpan.Zero"/>: a new run for every
    /// request that finds none in flight. Flat key: <c>ANX_MONITORING_UP_CACHE_LIFETIME</c> (seconds, or a time span).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", Longest, ParseLimitsInInvariantCulture = true)]
    public TimeSpan UpCacheLifetime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many failed token checks one client address may have per <see cref="FailedTokenWindow"/>; further
    /// requests from it without a valid token get 429 with <c>Retry-After</c> instead of 401 until its window
    /// passes. Requests with a valid token are never throttled. The address is what ASP.NET Core reports
    /// (<c>HttpContext.Connection.RemoteIpAddress</c>, so the host's forwarded-headers set-up applies); IPv6 addresses
    /// count per /64. Default: 60. <c>0</c> switches the throttling off (every failure gets 401). Flat key:
    /// <c>ANX_MONITORING_FAILED_TOKEN_LIMIT</c>.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int FailedTokenLimit { get; set; } = 60;

    /// <summary>
    /// The window of <see cref="FailedTokenLimit"/>, and the interval of the one Warning that sums up the refused
    /// requests (their count and the addresses most of them came from). Default: one minute. Flat key:
    /// <c>ANX_MONITORING_FAILED_TOKEN_WINDOW</c> (seconds, or a time span).
    /// </summary>
    [Range(typeof(TimeSpan), Positive, Longest, ParseLimitsInInvariantCulture = true)]
    public TimeSpan FailedTokenWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Whether <c>up</c> runs twice in the background right after the application has started (without delaying the
    /// start), so that the first probe does not pay for building the EF Core models, opening the first database
    /// connections and compiling the code paths. The first run is a request made in memory to the endpoint (with the
    /// configured token; it never touches the network), the second a run of the checks alone. The second run's answer
    /// is given to requests within <see cref="UpCacheLifetime"/>, as any run's. Default: <see langword="true"/>.
    /// Flat key: <c>ANX_MONITORING_UP_WARM_UP</c>.
    /// </summary>
    public bool UpWarmUp { get; set; } = true;

    /// <summary>
    /// The package sources <c>modules</c> asks for newest versions and licences: NuGet v3 service index URLs or
    /// local folders. Default: empty, which means the public NuGet feed. Flat key:
    /// <c>ANX_MONITORING_PACKAGE_SOURCES</c> (separated by <c>;</c>).
    /// </summary>
    public IList<string> PackageSources { get; } = [];

    /// <summary>
    /// Whether the enabled sources of the machine's NuGet.Config (with their credentials and package source
    /// mapping) are asked as well. Default: <see langword="false"/>. Flat key: <c>ANX_MONITORING_USE_NUGET_CONFIG</c>.
    /// </summary>
    public bool UseNuGetConfig { get; set; }

    /// <summary>
    /// Whether package lookups are shared between the application's instances through the host's distributed cache
    /// (its <c>IDistributedCache</c> registration, such as Redis through <c>AddStackExchangeRedisCache</c>; the in-memory
    /// one does not count). Has no effect without one. Default: <see langword="true"/>. Flat key:
    /// <c>ANX_MONITORING_USE_DISTRIBUTED_CACHE</c>.
    /// </summary>
    public bool UseDistributedCache { get; set; } = true;

    /// <summary>
    /// Packages left out of <c>modules</c>: exact ids or patterns with <c>*</c> (<c>Microsoft.*</c>), compared
    /// without regard to case. Default: empty. Flat key: <c>ANX_MONITORING_EXCLUDE_MODULES</c> (separated by <c>;</c>).
    /// </summary>
    public IList<string> ExcludeModules { get; } = [];

    /// <summary>
    /// The most bytes one answer of a package source may have (service index, registration index or page, nuspec,
    /// vulnerability file; counted after HTTP decompression). Answers are parsed as they stream in, never buffered
    /// beyond this. A larger answer fails that lookup as a malformed one would (one warning naming the source and the
    /// limit; remembered for <see cref="ModulesFailureCacheLifetime"/>). Default: 16 MiB (16777216), many times the
    /// largest registration answers and vulnerability files of the public NuGet feed. Between 64 KiB and 1 GiB.
    /// Flat key: <c>ANX_MONITORING_MAX_FEED_RESPONSE_BYTES</c>.
    /// </summary>
    [Range(typeof(long), "65536", "1073741824", ParseLimitsInInvariantCulture = true)]
    public long MaxFeedResponseBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// How long a package's newest version and licences are kept before they are looked up again (in the
    /// background, while the old data is still answered). Default: 60
    /// minutes. Flat key: <c>ANX_MONITORING_MODULES_CACHE_LIFETIME</c>.
    /// </summary>
    [Range(typeof(TimeSpan), Positive, Longest, ParseLimitsInInvariantCulture = true)]
    public TimeSpan ModulesCacheLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a failed lookup is remembered before the package is asked for again, so that a broken source is
    /// not hammered. Default: 120 seconds. Flat key:
    /// <c>ANX_MONITORING_MODULES_FAILURE_CACHE_LIFETIME</c>.
    /// </summary>
    [Range(typeof(TimeSpan), Positive, Longest, ParseLimitsInInvariantCulture = true)]
    public TimeSpan ModulesFailureCacheLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How many package lookups may be in flight at once, across all requests. Default:
    /// 16; between 1 and 256. Flat key: <c>ANX_MONITORING_LOOKUP_CONCURRENCY</c>.
    /// </summary>
    [Range(1, 256)]
    public int LookupConcurrency { get; set; } = 16;

    /// <summary>
    /// How long one package's lookup may take, retries included, before it counts as failed. Default:
    /// 15 seconds. Flat key: <c>ANX_MONITORING_LOOKUP_TIMEOUT</c>.
    /// </summary>
    [Range(typeof(TimeSpan), Positive, Longest, ParseLimitsInInvariantCulture = true)]
    public TimeSpan LookupTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The longest a <c>modules</c> request waits for lookups; what is unresolved by then is answered as
    /// <c>null</c> and filled in by a later request. Default: 5 seconds.
    /// Flat key: <c>ANX_MONITORING_MODULES_DEADLINE</c>.
    /// </summary>
    [Range(typeof(TimeSpan), Positive, Longest, ParseLimitsInInvariantCulture = true)]
    public TimeSpan ModulesDeadline { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where each configured setting was read from (the key as written), the value read and its text.</summary>
    internal Dictionary<string, (string Key, object? Value, string Text)> Configured { get; } = new(StringComparer.Ordinal);

    /// <summary>The settings whose configured value could not be read, with the message for each; reported at start-up by the validator.</summary>
    internal Dictionary<string, string> ReadErrors { get; } = new(StringComparer.Ordinal);
}
