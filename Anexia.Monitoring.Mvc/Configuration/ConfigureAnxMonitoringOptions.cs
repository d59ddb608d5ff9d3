using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Configuration;

/// <summary>
/// Binds <see cref="AnxMonitoringOptions"/> from the section <c>AnxMonitoring</c>, then from the flat keys
/// the other Anexia implementations use (<c>ANX_MONITORING_*</c>, so an environment variable of that name
/// works unchanged). A flat key that is set wins over the section. A value that cannot be read fails with a
/// message naming the key, at start-up.
/// </summary>
internal sealed class ConfigureAnxMonitoringOptions : IConfigureOptions<AnxMonitoringOptions>
{
    public const string AccessTokenKey = "ANX_MONITORING_ACCESS_TOKEN";
    public const string AccessTokensKey = "ANX_MONITORING_ACCESS_TOKENS";
    public const string TestDbConnectionsKey = "ANX_MONITORING_TEST_DB_CONNECTIONS";
    public const string TestQueryUsersKey = "ANX_MONITORING_TEST_QUERY_USERS";
    public const string IncludeHealthChecksKey = "ANX_MONITORING_INCLUDE_HEALTH_CHECKS";
    public const string ExcludeHealthChecksKey = "ANX_MONITORING_EXCLUDE_HEALTH_CHECKS";
    public const string VulnerabilityWarningSeverityKey = "ANX_MONITORING_VULNERABILITY_WARNING_SEVERITY";
    public const string CheckTimeoutKey = "ANX_MONITORING_CHECK_TIMEOUT";
    public const string UpCacheLifetimeKey = "ANX_MONITORING_UP_CACHE_LIFETIME";
    public const string UpWarmUpKey = "ANX_MONITORING_UP_WARM_UP";
    public const string MaxFeedResponseBytesKey = "ANX_MONITORING_MAX_FEED_RESPONSE_BYTES";
    public const string FailedTokenLimitKey = "ANX_MONITORING_FAILED_TOKEN_LIMIT";
    public const string FailedTokenWindowKey = "ANX_MONITORING_FAILED_TOKEN_WINDOW";
    public const string PackageSourcesKey = "ANX_MONITORING_PACKAGE_SOURCES";
    public const string UseNuGetConfigKey = "ANX_MONITORING_USE_NUGET_CONFIG";
    public const string ExcludeModulesKey = "ANX_MONITORING_EXCLUDE_MODULES";
    public const string ModulesCacheLifetimeKey = "ANX_MONITORING_MODULES_CACHE_LIFETIME";
    public const string ModulesFailureCacheLifetimeKey = "ANX_MONITORING_MODULES_FAILURE_CACHE_LIFETIME";
    public const string LookupConcurrencyKey = "ANX_MONITORING_LOOKUP_CONCURRENCY";
    public const string LookupTimeoutKey = "ANX_MONITORING_LOOKUP_TIMEOUT";
    public const string ModulesDeadlineKey = "ANX_MONITORING_MODULES_DEADLINE";

    private readonly IConfiguration _configuration;

    public ConfigureAnxMonitoringOptions(IConfiguration configuration)
    {
        _configuration = configuration;
    }

    public void Configure(AnxMonitoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _configuration.GetSection(AnxMonitoringOptions.SectionName).Bind(options);

        if (_configuration[AccessTokenKey] is { } token)
        {
            options.AccessToken = token;
        }

        if (_configuration[AccessTokensKey] is { } tokens)
        {
            Replace(options.AccessTokens, ParseList(tokens));
        }

        if (_configuration[TestDbConnectionsKey] is { } testDb)
        {
            options.TestDbConnections = ParseFlag(TestDbConnectionsKey, testDb);
        }

        if (_configuration[TestQueryUsersKey] is { } testUsers)
        {
            options.TestQueryUsers = ParseFlag(TestQueryUsersKey, testUsers);
        }

        if (_configuration[IncludeHealthChecksKey] is { } includeHealthChecks)
        {
            options.IncludeHealthChecks = ParseFlag(IncludeHealthChecksKey, includeHealthChecks);
        }

        if (_configuration[ExcludeHealthChecksKey] is { } excludeHealthChecks)
        {
            Replace(options.ExcludeHealthChecks, ParseList(excludeHealthChecks));
        }

        if (_configuration[VulnerabilityWarningSeverityKey] is { } severity)
        {
            options.VulnerabilityWarningSeverity = ParseSeverity(VulnerabilityWarningSeverityKey, severity);
        }

        if (_configuration[CheckTimeoutKey] is { } timeout)
        {
            options.CheckTimeout = ParseTimeout(CheckTimeoutKey, timeout);
        }

        if (_configuration[UpCacheLifetimeKey] is { } upLifetime)
        {
            options.UpCacheLifetime = ParseTimeout(UpCacheLifetimeKey, upLifetime, allowZero: true);
        }

        if (_configuration[UpWarmUpKey] is { } upWarmUp)
        {
            options.UpWarmUp = ParseFlag(UpWarmUpKey, upWarmUp);
        }

        if (_configuration[MaxFeedResponseBytesKey] is { } maxFeedResponseBytes)
        {
            options.MaxFeedResponseBytes = long.TryParse(maxFeedResponseBytes.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes)
                && bytes is >= 64 * 1024 and <= 1024 * 1024 * 1024
                ? bytes
                : throw new InvalidOperationException($"The setting {MaxFeedResponseBytesKey} must be a whole number of bytes from 65536 (64 KiB) to 1073741824 (1 GiB).");
        }

        if (_configuration[FailedTokenLimitKey] is { } failedTokenLimit)
        {
            options.FailedTokenLimit = int.TryParse(failedTokenLimit.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit) && limit >= 0
                ? limit
                : throw new InvalidOperationException($"The setting {FailedTokenLimitKey} must be a whole number, 0 (off) or more.");
        }

        if (_configuration[FailedTokenWindowKey] is { } failedTokenWindow)
        {
            options.FailedTokenWindow = ParseTimeout(FailedTokenWindowKey, failedTokenWindow);
        }

        if (_configuration[PackageSourcesKey] is { } sources)
        {
            Replace(options.PackageSources, ParseList(sources));
        }

        if (_configuration[UseNuGetConfigKey] is { } useNuGetConfig)
        {
            options.UseNuGetConfig = ParseFlag(UseNuGetConfigKey, useNuGetConfig);
        }

        if (_configuration[ExcludeModulesKey] is { } exclude)
        {
            Replace(options.ExcludeModules, ParseList(exclude));
        }

        if (_configuration[ModulesCacheLifetimeKey] is { } lifetime)
        {
            options.ModulesCacheLifetime = ParseTimeout(ModulesCacheLifetimeKey, lifetime);
        }

        if (_configuration[ModulesFailureCacheLifetimeKey] is { } failureLifetime)
        {
            options.ModulesFailureCacheLifetime = ParseTimeout(ModulesFailureCacheLifetimeKey, failureLifetime);
        }

        if (_configuration[LookupConcurrencyKey] is { } concurrency)
        {
            options.LookupConcurrency = int.TryParse(concurrency.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= 256
                ? parsed
                : throw new InvalidOperationException($"The setting {LookupConcurrencyKey} must be a whole number from 1 to 256.");
        }

        if (_configuration[LookupTimeoutKey] is { } lookupTimeout)
        {
            options.LookupTimeout = ParseTimeout(LookupTimeoutKey, lookupTimeout);
        }

        if (_configuration[ModulesDeadlineKey] is { } deadline)
        {
            options.ModulesDeadline = ParseTimeout(ModulesDeadlineKey, deadline);
        }
    }

    /// <summary>Reads a list written as one value, separated by <c>;</c> (as environment variables need it).</summary>
    internal static List<string> ParseList(string value) =>
        [.. value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static void Replace(IList<string> target, List<string> values)
    {
        target.Clear();
        foreach (var value in values)
        {
            target.Add(value);
        }
    }

    /// <summary>Reads a switch as Django settings and environment variables spell it.</summary>
    internal static bool ParseFlag(string key, string value) => value.Trim().ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" or "ON" => true,
        "FALSE" or "0" or "NO" or "OFF" => false,
        _ => throw new InvalidOperationException(
            $"The setting {key} must be true or false (also 1/0, yes/no, on/off); its value cannot be read as either."),
    };

    /// <summary>Reads a severity name, or <c>off</c>/<c>none</c>/empty for none.</summary>
    internal static VulnerabilitySeverity? ParseSeverity(string key, string value) => value.Trim().ToUpperInvariant() switch
    {
        "" or "OFF" or "NONE" or "FALSE" => null,
        "LOW" => VulnerabilitySeverity.Low,
        "MODERATE" => VulnerabilitySeverity.Moderate,
        "HIGH" => VulnerabilitySeverity.High,
        "CRITICAL" => VulnerabilitySeverity.Critical,
        _ => throw new InvalidOperationException($"The setting {key} must be low, moderate, high, critical or off."),
    };

    /// <summary>
    /// Reads a duration given in seconds (<c>5</c>, <c>2.5</c>) or as a time span (<c>00:00:05</c>); positive, or
    /// also zero where <paramref name="allowZero"/> says so.
    /// </summary>
    internal static TimeSpan ParseTimeout(string key, string value, bool allowZero = false)
    {
        var text = value.Trim();
        TimeSpan timeout;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && double.IsFinite(seconds) && (seconds > 0 || (allowZero && seconds == 0)) && seconds <= int.MaxValue / 1000.0)
        {
            timeout = TimeSpan.FromSeconds(seconds);
        }
        else if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out timeout) || timeout < TimeSpan.Zero || (timeout == TimeSpan.Zero && !allowZero))
        {
            throw new InvalidOperationException(allowZero
                ? $"The setting {key} must be zero or a positive number of seconds, or a time span such as 00:00:01."
                : $"The setting {key} must be a positive number of seconds or a time span such as 00:00:05.");
        }

        return timeout;
    }
}
