using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Anexia.Monitoring.Mvc.Configuration;

/// <summary>
/// Every setting of <see cref="AnxMonitoringOptions"/>, declared once: its name in the section
/// <see cref="AnxMonitoringOptions.SectionName"/>, its flat key, its default, how a configured value is read and what
/// range it must be in. <see cref="ConfigureAnxMonitoringOptions"/> reads both spellings with it,
/// <see cref="AnxMonitoringOptionsValidator"/> checks the result at start-up, and a test compares it with
/// docs/configuration.md.
/// </summary>
internal static class AnxMonitoringSettings
{
    public static readonly Setting<string?> AccessToken = new(
        nameof(AnxMonitoringOptions.AccessToken), "ANX_MONITORING_ACCESS_TOKEN", null, o => o.AccessToken, (o, v) => o.AccessToken = v, Text);

    public static readonly ListSetting AccessTokens = new(nameof(AnxMonitoringOptions.AccessTokens), "ANX_MONITORING_ACCESS_TOKENS", o => o.AccessTokens);

    public static readonly Setting<bool> TestDbConnections = Flag(
        nameof(AnxMonitoringOptions.TestDbConnections), "ANX_MONITORING_TEST_DB_CONNECTIONS", true, o => o.TestDbConnections, (o, v) => o.TestDbConnections = v);

    public static readonly Setting<bool> TestQueryUsers = Flag(
        nameof(AnxMonitoringOptions.TestQueryUsers), "ANX_MONITORING_TEST_QUERY_USERS", true, o => o.TestQueryUsers, (o, v) => o.TestQueryUsers = v);

    public static readonly Setting<bool> IncludeHealthChecks = Flag(
        nameof(AnxMonitoringOptions.IncludeHealthChecks), "ANX_MONITORING_INCLUDE_HEALTH_CHECKS", true, o => o.IncludeHealthChecks, (o, v) => o.IncludeHealthChecks = v);

    public static readonly ListSetting ExcludeHealthChecks = new(
        nameof(AnxMonitoringOptions.ExcludeHealthChecks), "ANX_MONITORING_EXCLUDE_HEALTH_CHECKS", o => o.ExcludeHealthChecks);

    public static readonly Setting<VulnerabilitySeverity?> VulnerabilityWarningSeverity = new(
        nameof(AnxMonitoringOptions.VulnerabilityWarningSeverity), "ANX_MONITORING_VULNERABILITY_WARNING_SEVERITY", null,
        o => o.VulnerabilityWarningSeverity, (o, v) => o.VulnerabilityWarningSeverity = v, ParseSeverity,
        expected: "low, moderate, high, critical or off");

    public static readonly Setting<TimeSpan> CheckTimeout = Duration(
        nameof(AnxMonitoringOptions.CheckTimeout), "ANX_MONITORING_CHECK_TIMEOUT", TimeSpan.FromSeconds(10), o => o.CheckTimeout, (o, v) => o.CheckTimeout = v);

    public static readonly Setting<TimeSpan> UpCacheLifetime = Duration(
        nameof(AnxMonitoringOptions.UpCacheLifetime), "ANX_MONITORING_UP_CACHE_LIFETIME", TimeSpan.FromSeconds(1), o => o.UpCacheLifetime, (o, v) => o.UpCacheLifetime = v,
        allowZero: true);

    public static readonly Setting<bool> UpWarmUp = Flag(
        nameof(AnxMonitoringOptions.UpWarmUp), "ANX_MONITORING_UP_WARM_UP", true, o => o.UpWarmUp, (o, v) => o.UpWarmUp = v);

    public static readonly Setting<int> FailedTokenLimit = Whole(
        nameof(AnxMonitoringOptions.FailedTokenLimit), "ANX_MONITORING_FAILED_TOKEN_LIMIT", 60, o => o.FailedTokenLimit, (o, v) => o.FailedTokenLimit = v,
        0, int.MaxValue, "a whole number, 0 (off) or more");

    public static readonly Setting<TimeSpan> FailedTokenWindow = Duration(
        nameof(AnxMonitoringOptions.FailedTokenWindow), "ANX_MONITORING_FAILED_TOKEN_WINDOW", TimeSpan.FromMinutes(1), o => o.FailedTokenWindow, (o, v) => o.FailedTokenWindow = v);

    public static readonly ListSetting PackageSources = new(
        nameof(AnxMonitoringOptions.PackageSources), "ANX_MONITORING_PACKAGE_SOURCES", o => o.PackageSources);

    public static readonly Setting<bool> UseNuGetConfig = Flag(
        nameof(AnxMonitoringOptions.UseNuGetConfig), "ANX_MONITORING_USE_NUGET_CONFIG", false, o => o.UseNuGetConfig, (o, v) => o.UseNuGetConfig = v);

    public static readonly Setting<bool> UseDistributedCache = Flag(
        nameof(AnxMonitoringOptions.UseDistributedCache), "ANX_MONITORING_USE_DISTRIBUTED_CACHE", true, o => o.UseDistributedCache, (o, v) => o.UseDistributedCache = v);

    public static readonly ListSetting ExcludeModules = new(
        nameof(AnxMonitoringOptions.ExcludeModules), "ANX_MONITORING_EXCLUDE_MODULES", o => o.ExcludeModules);

    public static readonly Setting<TimeSpan> ModulesCacheLifetime = Duration(
        nameof(AnxMonitoringOptions.ModulesCacheLifetime), "ANX_MONITORING_MODULES_CACHE_LIFETIME", TimeSpan.FromHours(1),
        o => o.ModulesCacheLifetime, (o, v) => o.ModulesCacheLifetime = v);

    public static readonly Setting<TimeSpan> ModulesFailureCacheLifetime = Duration(
        nameof(AnxMonitoringOptions.ModulesFailureCacheLifetime), "ANX_MONITORING_MODULES_FAILURE_CACHE_LIFETIME", TimeSpan.FromMinutes(2),
        o => o.ModulesFailureCacheLifetime, (o, v) => o.ModulesFailureCacheLifetime = v);

    public static readonly Setting<int> LookupConcurrency = Whole(
        nameof(AnxMonitoringOptions.LookupConcurrency), "ANX_MONITORING_LOOKUP_CONCURRENCY", 16, o => o.LookupConcurrency, (o, v) => o.LookupConcurrency = v,
        1, 256, "a whole number from 1 to 256");

    public static readonly Setting<TimeSpan> LookupTimeout = Duration(
        nameof(AnxMonitoringOptions.LookupTimeout), "ANX_MONITORING_LOOKUP_TIMEOUT", TimeSpan.FromSeconds(15), o => o.LookupTimeout, (o, v) => o.LookupTimeout = v);

    public static readonly Setting<TimeSpan> ModulesDeadline = Duration(
        nameof(AnxMonitoringOptions.ModulesDeadline), "ANX_MONITORING_MODULES_DEADLINE", TimeSpan.FromSeconds(5), o => o.ModulesDeadline, (o, v) => o.ModulesDeadline = v);

    public static readonly Setting<long> MaxFeedResponseBytes = new(
        nameof(AnxMonitoringOptions.MaxFeedResponseBytes), "ANX_MONITORING_MAX_FEED_RESPONSE_BYTES", 16L * 1024 * 1024,
        o => o.MaxFeedResponseBytes, (o, v) => o.MaxFeedResponseBytes = v,
        text => long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var bytes) ? (true, bytes) : (false, 0),
        bytes => bytes is >= 64 * 1024 and <= 1024 * 1024 * 1024,
        "a whole number of bytes from 65536 (64 KiB) to 1073741824 (1 GiB)");

    /// <summary>Every setting, in the order of docs/configuration.md's table.</summary>
    public static IReadOnlyList<ISetting> All { get; } =
    [
        AccessToken, AccessTokens, FailedTokenLimit, FailedTokenWindow, TestDbConnections, TestQueryUsers, IncludeHealthChecks,
        ExcludeHealthChecks, VulnerabilityWarningSeverity, CheckTimeout, UpCacheLifetime, UpWarmUp, PackageSources, UseNuGetConfig,
        ExcludeModules, ModulesCacheLifetime, ModulesFailureCacheLifetime, LookupConcurrency, LookupTimeout, ModulesDeadline,
        MaxFeedResponseBytes, UseDistributedCache,
    ];

    /// <summary>Reads a switch: <c>true</c>/<c>false</c>, <c>1</c>/<c>0</c>, <c>yes</c>/<c>no</c>, <c>on</c>/<c>off</c>, in any case.</summary>
    internal static (bool Ok, bool Value) ParseFlag(string text) => text.Trim().ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" or "ON" => (true, true),
        "FALSE" or "0" or "NO" or "OFF" => (true, false),
        _ => (false, false),
    };

    /// <summary>Reads a duration in seconds (<c>5</c>, <c>2.5</c>) or as a time span (<c>00:00:05</c>).</summary>
    internal static (bool Ok, TimeSpan Value) ParseDuration(string text)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return double.IsFinite(seconds) && Math.Abs(seconds) <= int.MaxValue / 1000.0 ? (true, TimeSpan.FromSeconds(seconds)) : (false, default);
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? (true, span) : (false, default);
    }

    /// <summary>Reads a severity name, or <c>off</c>/<c>none</c>/empty for none.</summary>
    internal static (bool Ok, VulnerabilitySeverity? Value) ParseSeverity(string text) => text.Trim().ToUpperInvariant() switch
    {
        "" or "OFF" or "NONE" or "FALSE" => (true, null),
        "LOW" => (true, VulnerabilitySeverity.Low),
        "MODERATE" => (true, VulnerabilitySeverity.Moderate),
        "HIGH" => (true, VulnerabilitySeverity.High),
        "CRITICAL" => (true, VulnerabilitySeverity.Critical),
        _ => (false, null),
    };

    /// <summary>Splits a flat key's list at <c>;</c>, trimming the items and dropping the blank ones.</summary>
    internal static List<string> ParseList(string text) =>
        [.. text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];

    private static (bool Ok, string? Value) Text(string text) => (true, text);

    private static Setting<bool> Flag(string name, string flatKey, bool defaultValue, Func<AnxMonitoringOptions, bool> get, Action<AnxMonitoringOptions, bool> set) =>
        new(name, flatKey, defaultValue, get, set, ParseFlag, expected: "true or false (also 1/0, yes/no, on/off)");

    private static Setting<TimeSpan> Duration(
        string name, string flatKey, TimeSpan defaultValue, Func<AnxMonitoringOptions, TimeSpan> get, Action<AnxMonitoringOptions, TimeSpan> set, bool allowZero = false) =>
        new(name, flatKey, defaultValue, get, set, ParseDuration,
            span => (span > TimeSpan.Zero || (allowZero && span == TimeSpan.Zero)) && span.TotalMilliseconds <= int.MaxValue,
            allowZero
                ? "zero or a positive number of seconds (at most about 24 days), or a time span such as 00:00:01"
                : "a positive number of seconds (at most about 24 days), or a time span such as 00:00:05");

    private static Setting<int> Whole(
        string name, string flatKey, int defaultValue, Func<AnxMonitoringOptions, int> get, Action<AnxMonitoringOptions, int> set, int min, int max, string expected) =>
        new(name, flatKey, defaultValue, get, set,
            text => int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? (true, number) : (false, 0),
            number => number >= min && number <= max,
            expected);

    /// <summary>One setting, whatever its type.</summary>
    internal interface ISetting
    {
        /// <summary>The name in the section (and of the property).</summary>
        string Name { get; }

        /// <summary>The flat key of the other Anexia implementations.</summary>
        string FlatKey { get; }

        /// <summary>The default value.</summary>
        object? DefaultValue { get; }

        /// <summary>Reads the setting from the section and the flat key (the flat key wins) into <paramref name="options"/>.</summary>
        void Read(IConfiguration configuration, AnxMonitoringOptions options);

        /// <summary>What is wrong with the setting's value in <paramref name="options"/>, or null.</summary>
        string? Problem(AnxMonitoringOptions options);
    }

    /// <summary>A setting of one value.</summary>
    internal sealed class Setting<T>(
        string name,
        string flatKey,
        T defaultValue,
        Func<AnxMonitoringOptions, T> get,
        Action<AnxMonitoringOptions, T> set,
        Func<string, (bool Ok, T Value)> parse,
        Func<T, bool>? inRange = null,
        string? expected = null) : ISetting
    {
        public string Name { get; } = name;

        public string FlatKey { get; } = flatKey;

        public T Default { get; } = defaultValue;

        public object? DefaultValue => Default;

        public void Read(IConfiguration configuration, AnxMonitoringOptions options)
        {
            var key = configuration[FlatKey] is not null ? FlatKey : $"{AnxMonitoringOptions.SectionName}:{Name}";
            if (configuration[key] is not { } text)
            {
                return;
            }

            var (ok, value) = parse(text);
            if (ok)
            {
                set(options, value);
                options.Sources[Name] = (key, value);
            }
            else
            {
                options.Unreadable.Add(Name);
                options.ReadErrors.Add($"The setting {key} must be {expected}; '{text}' cannot be read as such.");
            }
        }

        public string? Problem(AnxMonitoringOptions options)
        {
            var value = get(options);
            if (inRange is null || inRange(value) || options.Unreadable.Contains(Name))
            {
                return null;
            }

            return $"The setting {options.SourceOf(Name, value)} must be {expected}; {Format(value)} is not.";
        }

        private static string Format(T value) => value switch
        {
            TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
            IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
            _ => value?.ToString() ?? "null",
        };
    }

    /// <summary>A setting that is a list: a JSON array in the section (or one <c>;</c>-separated value), <c>;</c>-separated in the flat key.</summary>
    internal sealed class ListSetting(string name, string flatKey, Func<AnxMonitoringOptions, IList<string>> get) : ISetting
    {
        public string Name { get; } = name;

        public string FlatKey { get; } = flatKey;

        public object? DefaultValue => Array.Empty<string>();

        public void Read(IConfiguration configuration, AnxMonitoringOptions options)
        {
            List<string>? items = null;
            if (configuration[FlatKey] is { } flat)
            {
                items = ParseList(flat);
            }
            else
            {
                var section = configuration.GetSection($"{AnxMonitoringOptions.SectionName}:{Name}");
                var children = section.GetChildren().Select(c => c.Value).Where(v => !string.IsNullOrWhiteSpace(v)).Select(v => v!.Trim()).ToList();
                if (children.Count > 0)
                {
                    items = children;
                }
                else if (section.Value is { } single)
                {
                    items = ParseList(single);
                }
            }

            if (items is null)
            {
                return;
            }

            var list = get(options);
            list.Clear();
            foreach (var item in items)
            {
                list.Add(item);
            }
        }

        public string? Problem(AnxMonitoringOptions options) => null;
    }
}
