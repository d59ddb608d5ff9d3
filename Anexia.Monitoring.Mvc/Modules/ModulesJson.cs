using System.Buffers;
using System.Text.Json;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// Writes the <c>modules</c> answer with the contract's snake_case keys, by hand and never through the host's
/// JSON options or formatters, so a host's naming policy cannot change the wire format.
/// </summary>
internal static class ModulesJson
{
    public static byte[] Write(
        string frameworkInstalled,
        string? frameworkNewest,
        ModuleInfo? runtime,
        IReadOnlyList<(InstalledPackage Package, ModuleInfo? Info)> modules,
        AdvisorySuppression suppression)
    {
        var buffer = new ArrayBufferWriter<byte>(512 + (modules.Count * 400));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("runtime");
            json.WriteString("platform", "dotnet");
            json.WriteString("platform_version", RuntimeVersions.Platform);
            json.WriteString("framework", "aspnetcore");
            json.WriteString("framework_installed_version", frameworkInstalled);
            json.WriteString("framework_newest_version", frameworkNewest);
            WritePlatformStatus(json, runtime, suppression);
            json.WriteEndObject();

            json.WriteStartArray("modules");
            foreach (var (package, info) in modules)
            {
                json.WriteStartObject();
                json.WriteString("name", package.Name);
                json.WriteString("installed_version", package.Version);
                WriteList(json, "installed_version_licences", info?.InstalledLicences ?? []);
                json.WriteString("newest_version", info?.NewestVersion?.ToNormalizedString());
                WriteList(json, "newest_version_licences", info?.NewestLicences ?? []);
                WriteVulnerabilities(json, info?.InstalledVulnerabilities ?? [], suppression);
                WriteDeprecation(json, info?.InstalledDeprecation);
                json.WriteBoolean("direct", package.Direct);
                WriteList(json, "required_by", package.RequiredBy);
                json.WriteString("newest_compatible_version", info?.NewestCompatibleVersion?.ToNormalizedString());
                json.WriteString("update_kind", UpdateKind(package.Version, info?.NewestVersion));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// How far <paramref name="newest"/> is from <paramref name="installed"/>: <c>major</c>, <c>minor</c>, <c>patch</c>
    /// (the patch or revision number, or only the prerelease label), <c>none</c> when the installed version is the newest
    /// (or newer); null when the newest is unknown or the installed version is no NuGet version.
    /// </summary>
    public static string? UpdateKind(string installed, NuGetVersion? newest)
    {
        if (newest is null || !NuGetVersion.TryParse(installed, out var current))
        {
            return null;
        }

        return newest <= current ? "none"
            : newest.Major != current.Major ? "major"
            : newest.Minor != current.Minor ? "minor"
            : "patch";
    }

    private static void WritePlatformStatus(Utf8JsonWriter json, ModuleInfo? runtime, AdvisorySuppression suppression)
    {
        json.WriteString("platform_newest_version", runtime?.NewestVersion?.ToNormalizedString());
        json.WriteString("platform_support_phase", runtime?.Platform?.SupportPhase);
        json.WriteString("platform_end_of_support", runtime?.Platform?.EndOfSupport);
        if (runtime?.Platform is not { } platform)
        {
            json.WriteNull("platform_vulnerabilities");
            return;
        }

        json.WriteStartArray("platform_vulnerabilities");
        foreach (var vulnerability in platform.Vulnerabilities)
        {
            json.WriteStartObject();
            json.WriteString("id", vulnerability.Id);
            json.WriteString("advisory_url", vulnerability.AdvisoryUrl);
            json.WriteString("fixed_in", vulnerability.FixedIn);
            json.WriteBoolean("suppressed", suppression.IsSuppressed(vulnerability.AdvisoryUrl, vulnerability.Id));
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }


    private static void WriteVulnerabilities(Utf8JsonWriter json, IReadOnlyList<KnownVulnerability> vulnerabilities, AdvisorySuppression suppression)
    {
        json.WriteStartArray("installed_version_vulnerabilities");
        foreach (var vulnerability in vulnerabilities)
        {
            json.WriteStartObject();
            json.WriteString("severity", vulnerability.SeverityName);
            json.WriteString("advisory_url", vulnerability.AdvisoryUrl);
            json.WriteBoolean("suppressed", suppression.IsSuppressed(vulnerability.AdvisoryUrl));
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteDeprecation(Utf8JsonWriter json, PackageDeprecation? deprecation)
    {
        if (deprecation is null)
        {
            json.WriteNull("installed_version_deprecation");
            return;
        }

        json.WriteStartObject("installed_version_deprecation");
        WriteList(json, "reasons", deprecation.Reasons);
        json.WriteString("message", deprecation.Message);
        json.WriteString("alternative", deprecation.Alternative);
        json.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter json, string name, IReadOnlyList<string> values)
    {
        json.WriteStartArray(name);
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }
}
