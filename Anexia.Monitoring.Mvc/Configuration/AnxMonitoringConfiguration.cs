using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Configuration;

/// <summary>
/// Reads <see cref="AnxMonitoringOptions"/> from the section <c>AnxMonitoring</c> and from the flat keys of the other
/// Anexia implementations: <c>ANX_MONITORING_</c> and the property's name in capitals with <c>_</c> between its words
/// (<see cref="FlatKeyOf"/>), so an environment variable of that name works unchanged. A flat key that is set wins.
/// Durations are seconds (<c>5</c>, <c>2.5</c>) or time spans (<c>00:00:05</c>), switches <c>true</c>/<c>false</c>
/// (also <c>1</c>/<c>0</c>, <c>yes</c>/<c>no</c>, <c>on</c>/<c>off</c>), lists a JSON array or one <c>;</c>-separated
/// value. A value that cannot be read is recorded, with the key as written, for <see cref="AnxMonitoringOptionsValidator"/>.
/// </summary>
internal partial class AnxMonitoringConfiguration(IConfiguration? configuration) : IConfigureOptions<AnxMonitoringOptions>
{
    private readonly IConfiguration? _configuration = configuration;

    /// <summary>Every setting: the options' public properties.</summary>
    public static IReadOnlyList<PropertyInfo> Settings { get; } = [.. typeof(AnxMonitoringOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite || p.PropertyType == typeof(IList<string>))];

    /// <summary>The flat key of a setting: <c>UseNuGetConfig</c> is <c>ANX_MONITORING_USE_NUGET_CONFIG</c>.</summary>
    public static string FlatKeyOf(string setting) =>
        "ANX_MONITORING_" + WordStart().Replace(setting.Replace("NuGet", "Nuget", StringComparison.Ordinal), "_").ToUpperInvariant();

    public void Configure(AnxMonitoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (_configuration is null)
        {
            return;
        }

        foreach (var setting in Settings)
        {
            if (setting.PropertyType == typeof(IList<string>))
            {
                ReadList(setting, options);
            }
            else
            {
                Read(setting, options);
            }
        }
    }

    /// <summary>What a setting's values must be, for messages.</summary>
    public static string Expected(PropertyInfo setting)
    {
        var type = Nullable.GetUnderlyingType(setting.PropertyType) ?? setting.PropertyType;
        var range = setting.GetCustomAttribute<System.ComponentModel.DataAnnotations.RangeAttribute>();
        return type switch
        {
            _ when type == typeof(bool) => "true or false (also 1/0, yes/no, on/off)",
            _ when type == typeof(VulnerabilitySeverity) => "low, moderate, high, critical or off",
            _ when type == typeof(TimeSpan) && range?.Minimum is "00:00:00" =>
                "zero or a positive number of seconds (at most about 24 days), or a time span such as 00:00:01",
            _ when type == typeof(TimeSpan) => "a positive number of seconds (at most about 24 days), or a time span such as 00:00:05",
            _ when range is not null => $"a whole number from {range.Minimum} to {range.Maximum}",
            _ => "a whole number",
        };
    }

    /// <summary>Reads a switch: <c>true</c>/<c>false</c>, <c>1</c>/<c>0</c>, <c>yes</c>/<c>no</c>, <c>on</c>/<c>off</c>, in any case.</summary>
    internal static bool? ParseFlag(string text) => text.Trim().ToUpperInvariant() switch
    {
        "TRUE" or "1" or "YES" or "ON" => true,
        "FALSE" or "0" or "NO" or "OFF" => false,
        _ => null,
    };

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

    /// <summary>Reads a duration in seconds (<c>5</c>, <c>2.5</c>) or as a time span (<c>00:00:05</c>).</summary>
    internal static TimeSpan? ParseDuration(string text)
    {
        text = text.Trim();
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return double.IsFinite(seconds) && Math.Abs(seconds) <= int.MaxValue / 1000.0 ? TimeSpan.FromSeconds(seconds) : null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) ? span : null;
    }

    private static (bool Ok, object? Value) Parse(Type type, string text)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return (true, text);
        }

        object? value = type switch
        {
            _ when type == typeof(bool) => ParseFlag(text),
            _ when type == typeof(TimeSpan) => ParseDuration(text),
            _ when type == typeof(int) => int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null,
            _ when type == typeof(long) => long.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) ? number : null,
            _ when type == typeof(VulnerabilitySeverity) => ParseSeverity(text) is (true, var severity) ? (object?)severity ?? DBNull.Value : null,
            _ => throw new NotSupportedException($"No reader for settings of type {type}."),
        };
        return value is null ? (false, null) : (true, value is DBNull ? null : value);
    }

    private void Read(PropertyInfo setting, AnxMonitoringOptions options)
    {
        var flatKey = FlatKeyOf(setting.Name);
        var key = _configuration![flatKey] is not null ? flatKey : $"{AnxMonitoringOptions.SectionName}:{setting.Name}";
        if (_configuration[key] is not { } text)
        {
            return;
        }

        var (ok, value) = Parse(setting.PropertyType, text);
        if (ok)
        {
            setting.SetValue(options, value);
            options.Configured[setting.Name] = (key, value, text.Trim());
        }
        else
        {
            options.ReadErrors[setting.Name] = $"The setting {key} must be {Expected(setting)}; '{text}' cannot be read as such.";
        }
    }

    private void ReadList(PropertyInfo setting, AnxMonitoringOptions options)
    {
        var section = _configuration!.GetSection($"{AnxMonitoringOptions.SectionName}:{setting.Name}");
        var children = section.GetChildren().Select(c => c.Value?.Trim()).OfType<string>().Where(v => v.Length > 0).ToList();
        string[]? items = _configuration[FlatKeyOf(setting.Name)] is { } flat ? Split(flat)
            : children.Count > 0 ? [.. children]
            : section.Value is { } value ? Split(value) : null;
        if (items is not null)
        {
            var list = (IList<string>)setting.GetValue(options)!;
            list.Clear();
            foreach (var item in items)
            {
                list.Add(item);
            }
        }
    }

    private static string[] Split(string list) => list.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [GeneratedRegex("(?<=[a-z0-9])(?=[A-Z])", RegexOptions.CultureInvariant)]
    private static partial Regex WordStart();
}

/// <summary>The reader over the host's own configuration, for the overloads of <c>AddAnxMonitoring</c> that take a delegate.</summary>
internal sealed class HostConfiguration(IServiceProvider services)
    : AnxMonitoringConfiguration((IConfiguration?)services.GetService(typeof(IConfiguration)));
