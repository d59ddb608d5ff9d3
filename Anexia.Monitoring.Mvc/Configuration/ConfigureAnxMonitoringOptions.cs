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
    public const string TestDbConnectionsKey = "ANX_MONITORING_TEST_DB_CONNECTIONS";
    public const string TestQueryUsersKey = "ANX_MONITORING_TEST_QUERY_USERS";
    public const string CheckTimeoutKey = "ANX_MONITORING_CHECK_TIMEOUT";

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

        if (_configuration[TestDbConnectionsKey] is { } testDb)
        {
            options.TestDbConnections = ParseFlag(TestDbConnectionsKey, testDb);
        }

        if (_configuration[TestQueryUsersKey] is { } testUsers)
        {
            options.TestQueryUsers = ParseFlag(TestQueryUsersKey, testUsers);
        }

        if (_configuration[CheckTimeoutKey] is { } timeout)
        {
            options.CheckTimeout = ParseTimeout(CheckTimeoutKey, timeout);
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

    /// <summary>Reads a time limit given in seconds (<c>5</c>, <c>2.5</c>) or as a time span (<c>00:00:05</c>).</summary>
    internal static TimeSpan ParseTimeout(string key, string value)
    {
        var text = value.Trim();
        TimeSpan timeout;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            && double.IsFinite(seconds) && seconds > 0 && seconds <= int.MaxValue / 1000.0)
        {
            timeout = TimeSpan.FromSeconds(seconds);
        }
        else if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out timeout) || timeout <= TimeSpan.Zero)
        {
            throw new InvalidOperationException(
                $"The setting {key} must be a positive number of seconds or a time span such as 00:00:05.");
        }

        return timeout;
    }
}
