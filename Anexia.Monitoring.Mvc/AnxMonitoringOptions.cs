namespace Anexia.Monitoring.Mvc;

/// <summary>
/// Settings of the Anexia monitoring endpoints. They bind from the configuration section
/// <see cref="SectionName"/> and from the flat keys the other Anexia implementations use
/// (<c>ANX_MONITORING_ACCESS_TOKEN</c>, <c>ANX_MONITORING_TEST_DB_CONNECTIONS</c>, ...: each setting names its
/// own); a flat key that is set wins.
/// </summary>
public sealed class AnxMonitoringOptions
{
    /// <summary>The configuration section the settings bind from: <c>AnxMonitoring</c>.</summary>
    public const string SectionName = "AnxMonitoring";

    /// <summary>Default of <see cref="TestDbConnections"/>: <see langword="true"/>.</summary>
    public const bool DefaultTestDbConnections = true;

    /// <summary>Default of <see cref="TestQueryUsers"/>: <see langword="true"/>.</summary>
    public const bool DefaultTestQueryUsers = true;

    /// <summary>Default of <see cref="IncludeHealthChecks"/>: <see langword="true"/>.</summary>
    public const bool DefaultIncludeHealthChecks = true;

    /// <summary>
    /// A health check registered with this tag (<c>AddCheck(..., tags: [AnxMonitoringOptions.HealthCheckExcludeTag])</c>)
    /// is left out of <c>up</c>: <c>anx-monitoring-exclude</c>.
    /// </summary>
    public const string HealthCheckExcludeTag = "anx-monitoring-exclude";

    /// <summary>Default of <see cref="CheckTimeout"/> in seconds: 10.</summary>
    public const int DefaultCheckTimeoutSeconds = 10;

    /// <summary>Default of <see cref="UpCacheLifetime"/> in milliseconds: 1000.</summary>
    public const int DefaultUpCacheLifetimeMilliseconds = 1000;

    /// <summary>Default of <see cref="ModulesCacheLifetime"/> in minutes: 60.</summary>
    public const int DefaultModulesCacheLifetimeMinutes = 60;

    /// <summary>Default of <see cref="ModulesFailureCacheLifetime"/> in seconds: 120.</summary>
    public const int DefaultModulesFailureCacheLifetimeSeconds = 120;

    /// <summary>Default of <see cref="LookupConcurrency"/>: 16.</summary>
    public const int DefaultLookupConcurrency = 16;

    /// <summary>Default of <see cref="LookupTimeout"/> in seconds: 15.</summary>
    public const int DefaultLookupTimeoutSeconds = 15;

    /// <summary>Default of <see cref="ModulesDeadline"/> in seconds: 5.</summary>
    public const int DefaultModulesDeadlineSeconds = 5;

    /// <summary>Default of <see cref="MaxFeedResponseBytes"/>: 16 MiB.</summary>
    internal const long DefaultMaxFeedResponseBytes = 16 * 1024 * 1024;

    private TimeSpan _checkTimeout = TimeSpan.FromSeconds(DefaultCheckTimeoutSeconds);
    private TimeSpan _upCacheLifetime = TimeSpan.FromMilliseconds(DefaultUpCacheLifetimeMilliseconds);
    private TimeSpan _modulesCacheLifetime = TimeSpan.FromMinutes(DefaultModulesCacheLifetimeMinutes);
    private TimeSpan _modulesFailureCacheLifetime = TimeSpan.FromSeconds(DefaultModulesFailureCacheLifetimeSeconds);
    private TimeSpan _lookupTimeout = TimeSpan.FromSeconds(DefaultLookupTimeoutSeconds);
    private TimeSpan _modulesDeadline = TimeSpan.FromSeconds(DefaultModulesDeadlineSeconds);
    private int _lookupConcurrency = DefaultLookupConcurrency;
    private long _maxFeedResponseBytes = DefaultMaxFeedResponseBytes;
    private int _failedTokenLimit = 60;
    private TimeSpan _failedTokenWindow = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The token a caller must pass, as the query parameter <c>access_token</c> or as the header
    /// <c>Authorization: Bearer &lt;token&gt;</c>. Default: none, and while neither this nor
    /// <see cref="AccessTokens"/> holds a token, both endpoints answer 401 and a warning is logged at start-up.
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
    /// Default: <see cref="DefaultTestDbConnections"/>. Flat key: <c>ANX_MONITORING_TEST_DB_CONNECTIONS</c>.
    /// </summary>
    public bool TestDbConnections { get; set; } = DefaultTestDbConnections;

    /// <summary>
    /// Whether <c>up</c> runs a cheap query against the users table of every ASP.NET Core Identity context.
    /// Default: <see cref="DefaultTestQueryUsers"/>. Flat key: <c>ANX_MONITORING_TEST_QUERY_USERS</c>.
    /// </summary>
    public bool TestQueryUsers { get; set; } = DefaultTestQueryUsers;

    /// <summary>
    /// Whether <c>up</c> also runs the host's ASP.NET Core health checks (where the host called
    /// <c>AddHealthChecks()</c>): Degraded becomes <c>WARNING: &lt;name&gt;: &lt;description&gt;</c>, Unhealthy
    /// <c>ERROR: &lt;name&gt;: &lt;description&gt;</c>. Default: <see cref="DefaultIncludeHealthChecks"/>.
    /// Flat key: <c>ANX_MONITORING_INCLUDE_HEALTH_CHECKS</c>.
    /// </summary>
    public bool IncludeHealthChecks { get; set; } = DefaultIncludeHealthChecks;

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
    /// How long one check of <c>up</c> may run before it is reported as <c>ERROR: &lt;check&gt; timed out</c>.
    /// Default: <see cref="DefaultCheckTimeoutSeconds"/> seconds. Must be positive and finite.
    /// Flat key: <c>ANX_MONITORING_CHECK_TIMEOUT</c> (seconds, or a time span such as <c>00:00:05</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or infinite.</exception>
    public TimeSpan CheckTimeout
    {
        get => _checkTimeout;
        set => _checkTimeout = RequirePositive(value);
    }

    /// <summary>
    /// How long the answer of a finished run of the <c>up</c> checks is given to further requests before the checks
    /// run again. Requests that arrive while a run is in flight always share it; this also bounds how often the
    /// checks run (and so the load on the databases) when probes arrive one after another, however fast.
    /// Default: <see cref="DefaultUpCacheLifetimeMilliseconds"/> ms. <see cref="TimeSpan.Zero"/>: a new run for every
    /// request that finds none in flight. Flat key: <c>ANX_MONITORING_UP_CACHE_LIFETIME</c> (seconds, or a time span).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative or infinite.</exception>
    public TimeSpan UpCacheLifetime
    {
        get => _upCacheLifetime;
        set => _upCacheLifetime = value == TimeSpan.Zero ? value : RequirePositive(value);
    }

    /// <summary>
    /// How many failed token checks one client address may have per <see cref="FailedTokenWindow"/>; further
    /// requests from it without a valid token get 429 with <c>Retry-After</c> instead of 401 until its window
    /// passes. Requests with a valid token are never throttled. The address is what ASP.NET Core reports
    /// (<c>HttpContext.Connection.RemoteIpAddress</c>, so the host's forwarded-headers set-up applies); IPv6 addresses
    /// count per /64. Default: 60. <c>0</c> switches the throttling off (every failure gets 401). Flat key:
    /// <c>ANX_MONITORING_FAILED_TOKEN_LIMIT</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int FailedTokenLimit
    {
        get => _failedTokenLimit;
        set => _failedTokenLimit = value >= 0
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The failed token limit must be zero (off) or positive.");
    }

    /// <summary>
    /// The window of <see cref="FailedTokenLimit"/>, and the interval of the one Warning that sums up the refused
    /// requests (their count and the addresses most of them came from). Default: one minute. Flat key:
    /// <c>ANX_MONITORING_FAILED_TOKEN_WINDOW</c> (seconds, or a time span).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or infinite.</exception>
    public TimeSpan FailedTokenWindow
    {
        get => _failedTokenWindow;
        set => _failedTokenWindow = RequirePositive(value);
    }

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
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 64 KiB to 1 GiB.</exception>
    public long MaxFeedResponseBytes
    {
        get => _maxFeedResponseBytes;
        set => _maxFeedResponseBytes = value is >= 64 * 1024 and <= 1024 * 1024 * 1024
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxFeedResponseBytes must be between 65536 (64 KiB) and 1073741824 (1 GiB).");
    }

    /// <summary>
    /// How long a package's newest version and licences are kept before they are looked up again (in the
    /// background, while the old data is still answered). Default: <see cref="DefaultModulesCacheLifetimeMinutes"/>
    /// minutes. Flat key: <c>ANX_MONITORING_MODULES_CACHE_LIFETIME</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or infinite.</exception>
    public TimeSpan ModulesCacheLifetime
    {
        get => _modulesCacheLifetime;
        set => _modulesCacheLifetime = RequirePositive(value);
    }

    /// <summary>
    /// How long a failed lookup is remembered before the package is asked for again, so that a broken source is
    /// not hammered. Default: <see cref="DefaultModulesFailureCacheLifetimeSeconds"/> seconds. Flat key:
    /// <c>ANX_MONITORING_MODULES_FAILURE_CACHE_LIFETIME</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or infinite.</exception>
    public TimeSpan ModulesFailureCacheLifetime
    {
        get => _modulesFailureCacheLifetime;
        set => _modulesFailureCacheLifetime = RequirePositive(value);
    }

    /// <summary>
    /// How many package lookups may be in flight at once, across all requests. Default:
    /// <see cref="DefaultLookupConcurrency"/>; between 1 and 256. Flat key: <c>ANX_MONITORING_LOOKUP_CONCURRENCY</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is outside 1 to 256.</exception>
    public int LookupConcurrency
    {
        get => _lookupConcurrency;
        set => _lookupConcurrency = value is >= 1 and <= 256
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "The lookup concurrency must be between 1 and 256.");
    }

    /// <summary>
    /// How long one package's lookup may take, retries included, before it counts as failed. Default:
    /// <see cref="DefaultLookupTimeoutSeconds"/> seconds. Flat key: <c>ANX_MONITORING_LOOKUP_TIMEOUT</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or infinite.</exception>
    public TimeSpan LookupTimeout
    {
        get => _lookupTimeout;
        set => _lookupTimeout = RequirePositive(value);
    }

    /// <summary>
    /// The longest a <c>modules</c> request waits for lookups; what is unresolved by then is answered as
    /// <c>null</c> and filled in by a later request. Default: <see cref="DefaultModulesDeadlineSeconds"/> seconds.
    /// Flat key: <c>ANX_MONITORING_MODULES_DEADLINE</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or infinite.</exception>
    public TimeSpan ModulesDeadline
    {
        get => _modulesDeadline;
        set => _modulesDeadline = RequirePositive(value);
    }

    private static TimeSpan RequirePositive(TimeSpan value, [System.Runtime.CompilerServices.CallerMemberName] string setting = "")
    {
        if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan || value.TotalMilliseconds > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(setting, value, $"{setting} must be positive and at most about 24 days.");
        }

        return value;
    }
}
