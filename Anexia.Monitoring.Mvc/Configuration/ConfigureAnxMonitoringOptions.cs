using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Configuration;

/// <summary>
/// Reads <see cref="AnxMonitoringOptions"/> from the section <c>AnxMonitoring</c> and from the flat keys the other
/// Anexia implementations use (<c>ANX_MONITORING_*</c>, so an environment variable of that name works unchanged),
/// each setting as <see cref="AnxMonitoringSettings"/> declares it. A flat key that is set wins over the section.
/// A value that cannot be read is recorded, with the key it came from, for <see cref="AnxMonitoringOptionsValidator"/>
/// to report at start-up.
/// </summary>
internal sealed class ConfigureAnxMonitoringOptions : IConfigureOptions<AnxMonitoringOptions>
{
    private readonly IConfiguration _configuration;

    public ConfigureAnxMonitoringOptions(IConfiguration configuration)
    {
        _configuration = configuration;
    }

    public void Configure(AnxMonitoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var setting in AnxMonitoringSettings.All)
        {
            setting.Read(_configuration, options);
        }
    }
}
