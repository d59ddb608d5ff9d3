using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Configuration;

/// <summary>
/// Checks <see cref="AnxMonitoringOptions"/> at start-up (<c>ValidateOnStart</c>): every value
/// that could not be read and every value out of its range (<see cref="AnxMonitoringSettings"/>), each named by the key
/// it came from as the configuration spells it (<c>AnxMonitoring:CheckTimeout</c> or <c>ANX_MONITORING_CHECK_TIMEOUT</c>),
/// or by the property when it was set in code. The host then stops with an <see cref="OptionsValidationException"/>
/// listing them all.
/// </summary>
internal sealed class AnxMonitoringOptionsValidator : IValidateOptions<AnxMonitoringOptions>
{
    public ValidateOptionsResult Validate(string? name, AnxMonitoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>(options.ReadErrors);
        foreach (var setting in AnxMonitoringSettings.All)
        {
            if (setting.Problem(options) is { } problem)
            {
                failures.Add(problem);
            }
        }

        // Distinct: AddAnxMonitoring(configuration) called twice reads every value twice.
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures.Distinct(StringComparer.Ordinal));
    }
}
