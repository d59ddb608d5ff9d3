using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Configuration;

/// <summary>
/// Checks <see cref="AnxMonitoringOptions"/> at start-up (<c>ValidateOnStart</c>): every value that could not be read,
/// and every value outside the <see cref="RangeAttribute"/> of its property, one line each, named by the key it came
/// from as the configuration spells it and echoed as it was written there (or by the property, when it was set in
/// code). The host then stops with an <see cref="OptionsValidationException"/> listing them all.
/// </summary>
internal sealed class AnxMonitoringOptionsValidator : IValidateOptions<AnxMonitoringOptions>
{
    public ValidateOptionsResult Validate(string? name, AnxMonitoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var defaults = new AnxMonitoringOptions();
        var failures = new List<string>();
        foreach (var setting in AnxMonitoringConfiguration.Settings)
        {
            var value = setting.GetValue(options);
            if (options.ReadErrors.TryGetValue(setting.Name, out var unreadable))
            {
                // Reported unless code set the setting afterwards, as an out-of-range value that code replaced is not.
                if (Equals(value, setting.GetValue(defaults)))
                {
                    failures.Add(unreadable);
                }
            }
            else if (setting.GetCustomAttribute<RangeAttribute>() is { } range && value is not null && !range.IsValid(value))
            {
                var (key, written) = Origin(options, setting.Name, value);
                failures.Add($"The setting {key} must be {AnxMonitoringConfiguration.Expected(setting)}; {written} is not.");
            }
        }

        if (options.RuntimeReleasesIndex is { } index && !string.IsNullOrWhiteSpace(index) && Modules.ReportedValues.Url(index) is null)
        {
            var (key, written) = Origin(options, nameof(AnxMonitoringOptions.RuntimeReleasesIndex), index);
            failures.Add($"The setting {key} must be an absolute http or https address, or empty to switch the release metadata off; {written} is not.");
        }

        // Distinct: AddAnxMonitoring called twice reads every value twice.
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures.Distinct(StringComparer.Ordinal));
    }

    /// <summary>The key a value came from as the configuration spells it, and the value as written there; else the property and the value.</summary>
    private static (string Key, string Written) Origin(AnxMonitoringOptions options, string setting, object value) =>
        options.Configured.TryGetValue(setting, out var configured) && Equals(configured.Value, value)
            ? (configured.Key, configured.Text)
            : ($"{nameof(AnxMonitoringOptions)}.{setting}", Format(value));

    private static string Format(object value) => value switch
    {
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
