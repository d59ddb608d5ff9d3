using System.Buffers;
using System.Text.Json;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// Writes the <c>modules</c> answer with the contract's snake_case keys, by hand and never through the host's
/// JSON options or formatters, so a host's naming policy cannot change the wire format.
/// </summary>
internal static class ModulesJson
{
    public static byte[] Write(string frameworkInstalled, string? frameworkNewest, IReadOnlyList<(InstalledPackage Package, ModuleInfo? Info)> modules)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + (modules.Count * 280));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("runtime");
            json.WriteString("platform", "dotnet");
            json.WriteString("platform_version", RuntimeVersions.Platform);
            json.WriteString("framework", "aspnetcore");
            json.WriteString("framework_installed_version", frameworkInstalled);
            json.WriteString("framework_newest_version", frameworkNewest);
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
                WriteVulnerabilities(json, info?.InstalledVulnerabilities ?? []);
                WriteDeprecation(json, info?.InstalledDeprecation);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteVulnerabilities(Utf8JsonWriter json, IReadOnlyList<KnownVulnerability> vulnerabilities)
    {
        json.WriteStartArray("installed_version_vulnerabilities");
        foreach (var vulnerability in vulnerabilities)
        {
            json.WriteStartObject();
            json.WriteString("severity", vulnerability.SeverityName);
            json.WriteString("advisory_url", vulnerability.AdvisoryUrl);
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
