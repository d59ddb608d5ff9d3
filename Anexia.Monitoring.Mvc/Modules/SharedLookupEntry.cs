using System.Text.Json;
using System.Text.Json.Serialization;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// One shared lookup as stored: the lookup's own <see cref="ModuleInfo"/>, bound to its package and the time it was
/// written, in source-generated System.Text.Json. What comes back is checked as input before it is used.
/// </summary>
internal sealed record SharedLookupEntry(string Id, string Version, DateTimeOffset WrittenAt, DateTimeOffset ExpiresAt, ModuleInfo? Info)
{
    /// <summary>The largest entry read; the library's own are well under 4 KiB.</summary>
    public const int MaxBytes = 64 * 1024;

    // How far ahead of this replica's clock another replica's may be.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(1);

    public static byte[] Write(InstalledPackage package, ModuleInfo info, DateTimeOffset now, DateTimeOffset expiresAt) =>
        JsonSerializer.SerializeToUtf8Bytes(new SharedLookupEntry(package.Name, package.Version, now, expiresAt, info), SharedLookupJsonContext.Default.SharedLookupEntry);

    /// <summary>
    /// The entry as this replica may use it, its expiry capped at <paramref name="lifetime"/> from when it was written;
    /// null when it is too large, malformed, incomplete, for another package or version, written in this replica's
    /// future, expired, or fails a rule of <see cref="ReportedValues"/>.
    /// </summary>
    public static (ModuleInfo Info, DateTimeOffset ExpiresAt)? Read(byte[] bytes, InstalledPackage package, DateTimeOffset now, TimeSpan lifetime)
    {
        if (bytes.Length > MaxBytes)
        {
            return null;
        }

        SharedLookupEntry? entry;
        try
        {
            entry = JsonSerializer.Deserialize(bytes, SharedLookupJsonContext.Default.SharedLookupEntry);
        }
        catch (JsonException)
        {
            return null;
        }

        if (entry is null
            || !string.Equals(entry.Id, package.Name, StringComparison.OrdinalIgnoreCase)
            || !string.Equals(entry.Version, package.Version, StringComparison.OrdinalIgnoreCase)
            || entry.WrittenAt > now + ClockSkew
            || entry.Info is not { } info
            || !IsComplete(info))
        {
            return null;
        }

        var expiresAt = entry.ExpiresAt < entry.WrittenAt + lifetime ? entry.ExpiresAt : entry.WrittenAt + lifetime;
        var checkedInfo = ReportedValues.Check(info, out var dropped);
        return expiresAt <= now || dropped > 0 || !ReferenceEquals(checkedInfo, info) ? null : (info, expiresAt);
    }

    /// <summary>Whether a stored result has every part (a writer of another shape may leave lists null).</summary>
    private static bool IsComplete(ModuleInfo info) =>
        info.InstalledLicences is { } installed && !installed.Contains(null!)
        && info.NewestLicences is { } newest && !newest.Contains(null!)
        && info.InstalledVulnerabilities is { } vulnerabilities
        && vulnerabilities.All(v => v is not null && v.AdvisoryUrl is not null && Enum.IsDefined(v.Severity))
        && (info.InstalledDeprecation is null || (info.InstalledDeprecation.Reasons is { } reasons && !reasons.Contains(null!)))
        && (info.Platform is null || (info.Platform.Vulnerabilities is { } missed && missed.All(v => v is { Id: not null, AdvisoryUrl: not null, FixedIn: not null })));

    /// <summary>A version as NuGet writes it; one that does not parse fails the read like any malformed entry.</summary>
    internal sealed class NuGetVersionConverter : JsonConverter<NuGetVersion>
    {
        public override NuGetVersion Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            NuGetVersion.TryParse(reader.GetString(), out var version) ? version : throw new JsonException("Not a version.");

        public override void Write(Utf8JsonWriter writer, NuGetVersion value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToNormalizedString());
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, Converters = [typeof(SharedLookupEntry.NuGetVersionConverter)])]
[JsonSerializable(typeof(SharedLookupEntry))]
internal sealed partial class SharedLookupJsonContext : JsonSerializerContext;
