namespace Anexia.Monitoring.Mvc;

/// <summary>
/// Settings of the Anexia monitoring endpoints. They bind from the configuration section
/// <see cref="SectionName"/> and from the flat keys the other Anexia implementations use
/// (<c>ANX_MONITORING_ACCESS_TOKEN</c>, <c>ANX_MONITORING_TEST_DB_CONNECTIONS</c>,
/// <c>ANX_MONITORING_TEST_QUERY_USERS</c>, <c>ANX_MONITORING_CHECK_TIMEOUT</c>); a flat key that is set wins.
/// </summary>
public sealed class AnxMonitoringOptions
{
    /// <summary>The configuration section the settings bind from: <c>AnxMonitoring</c>.</summary>
    public const string SectionName = "AnxMonitoring";

    /// <summary>Default of <see cref="TestDbConnections"/>: <see langword="true"/>.</summary>
    public const bool DefaultTestDbConnections = true;

    /// <summary>Default of <see cref="TestQueryUsers"/>: <see langword="true"/>.</summary>
    public const bool DefaultTestQueryUsers = true;

    /// <summary>Default of <see cref="CheckTimeout"/> in seconds: 10.</summary>
    public const int DefaultCheckTimeoutSeconds = 10;

    private TimeSpan _checkTimeout = TimeSpan.FromSeconds(DefaultCheckTimeoutSeconds);

    /// <summary>
    /// The token a caller must pass as the query parameter <c>access_token</c>. Default: none, and while
    /// none is set (or it is blank) both endpoints answer 401 and a warning is logged at start-up.
    /// Flat key: <c>ANX_MONITORING_ACCESS_TOKEN</c>.
    /// </summary>
    public string? AccessToken { get; set; }

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
    /// How long one check of <c>up</c> may run before it is reported as <c>ERROR: &lt;check&gt; timed out</c>.
    /// Default: <see cref="DefaultCheckTimeoutSeconds"/> seconds. Must be positive and finite.
    /// Flat key: <c>ANX_MONITORING_CHECK_TIMEOUT</c> (seconds, or a time span such as <c>00:00:05</c>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is zero, negative or infinite.</exception>
    public TimeSpan CheckTimeout
    {
        get => _checkTimeout;
        set
        {
            if (value <= TimeSpan.Zero || value == Timeout.InfiniteTimeSpan || value.TotalMilliseconds > int.MaxValue)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value,
                    "The check timeout must be positive and at most about 24 days.");
            }

            _checkTimeout = value;
        }
    }
}
