using System.Buffers;
using System.Text.Json;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// Writes what the application runs as a CycloneDX 1.6 JSON document: the application, its packages and projects, the
/// .NET runtime and ASP.NET Core as frameworks, the dependency graph of the dependency manifest, and every known
/// advisory of an installed package or of the runtime. docs/modules.md maps each part to its source.
/// </summary>
internal static class SbomJson
{
    public const string ContentType = "application/vnd.cyclonedx+json";

    private const string RuntimeRef = "framework:Microsoft.NETCore.App";
    private const string AspNetCoreRef = "framework:Microsoft.AspNetCore.App";

    private static readonly string ToolName = typeof(SbomJson).Assembly.GetName().Name!;
    private static readonly string ToolVersion = RuntimeVersions.ProductVersion(typeof(SbomJson).Assembly) ?? "0.0.0";

    public static byte[] Write(
        InstalledApplication application,
        IReadOnlyList<(InstalledPackage Package, ModuleInfo? Info)> modules,
        ModuleInfo? runtime,
        AdvisorySuppression suppression,
        DateTimeOffset now)
    {
        var refs = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var project in application.Projects)
        {
            refs.TryAdd(project.Name, ProjectRef(project));
        }

        foreach (var (package, _) in modules)
        {
            refs[package.Name] = Purl(package);
        }

        var buffer = new ArrayBufferWriter<byte>(1024 + (modules.Count * 600));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("bomFormat", "CycloneDX");
            json.WriteString("specVersion", "1.6");
            json.WriteString("serialNumber", $"urn:uuid:{Guid.NewGuid():D}");
            json.WriteNumber("version", 1);
            WriteMetadata(json, application.Application, now);

            json.WriteStartArray("components");
            WriteFramework(json, RuntimeRef, "Microsoft.NETCore.App", RuntimeVersions.PlatformRelease, "cpe:2.3:a:microsoft:.net:");
            WriteFramework(json, AspNetCoreRef, "Microsoft.AspNetCore.App", RuntimeVersions.Framework, "cpe:2.3:a:microsoft:asp.net_core:");
            foreach (var project in application.Projects)
            {
                WriteComponent(json, "library", ProjectRef(project), project.Name, project.Version);
                json.WriteEndObject();
            }

            foreach (var (package, info) in modules)
            {
                WritePackage(json, package, info);
            }

            json.WriteEndArray();

            json.WriteStartArray("dependencies");
            WriteDependency(json, ProjectRef(application.Application), application.Application.DependsOn, refs, [RuntimeRef, AspNetCoreRef]);
            WriteDependency(json, RuntimeRef, [], refs);
            WriteDependency(json, AspNetCoreRef, [], refs, [RuntimeRef]);
            foreach (var project in application.Projects)
            {
                WriteDependency(json, ProjectRef(project), project.DependsOn, refs);
            }

            foreach (var (package, _) in modules)
            {
                WriteDependency(json, Purl(package), package.DependsOn, refs);
            }

            json.WriteEndArray();

            json.WriteStartArray("vulnerabilities");
            WritePackageVulnerabilities(json, modules, suppression);
            WriteRuntimeVulnerabilities(json, runtime, suppression);
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A package's purl, also its bom-ref: <c>pkg:nuget/Id@Version</c>.</summary>
    public static string Purl(InstalledPackage package) => Purl(package.Name, package.Version);

    private static string Purl(string id, string version) => $"pkg:nuget/{Uri.EscapeDataString(id)}@{Uri.EscapeDataString(version)}";

    private static string ProjectRef(InstalledPackage project) => $"project:{project.Name}@{project.Version}";

    /// <summary>Starts a component object with its identity.</summary>
    private static void WriteComponent(Utf8JsonWriter json, string type, string bomRef, string name, string version)
    {
        json.WriteStartObject();
        json.WriteString("type", type);
        json.WriteString("bom-ref", bomRef);
        json.WriteString("name", name);
        json.WriteString("version", version);
    }

    private static void WriteMetadata(Utf8JsonWriter json, InstalledPackage application, DateTimeOffset now)
    {
        json.WriteStartObject("metadata");
        json.WriteString("timestamp", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteStartObject("tools");
        json.WriteStartArray("components");
        WriteComponent(json, "library", Purl(ToolName, ToolVersion), ToolName, ToolVersion);
        json.WriteString("purl", Purl(ToolName, ToolVersion));
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WritePropertyName("component");
        WriteComponent(json, "application", ProjectRef(application), application.Name, application.Version);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteFramework(Utf8JsonWriter json, string bomRef, string name, string version, string cpePrefix)
    {
        WriteComponent(json, "framework", bomRef, name, version);
        json.WriteString("publisher", "Microsoft");
        json.WriteString("cpe", $"{cpePrefix}{version}:*:*:*:*:*:*:*");
        json.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter json, InstalledPackage package, ModuleInfo? info)
    {
        WriteComponent(json, "library", Purl(package), package.Name, package.Version);
        json.WriteString("purl", Purl(package));
        if (package.Sha512 is { } sha512 && Hex(sha512) is { } hex)
        {
            json.WriteStartArray("hashes");
            json.WriteStartObject();
            json.WriteString("alg", "SHA-512");
            json.WriteString("content", hex);
            json.WriteEndObject();
            json.WriteEndArray();
        }

        WriteLicences(json, info?.InstalledLicences ?? []);
        json.WriteEndObject();
    }

    /// <summary>One SPDX expression as such; otherwise each licence by name, a URL under the name CycloneDX tools give it.</summary>
    private static void WriteLicences(Utf8JsonWriter json, IReadOnlyList<string> licences)
    {
        if (licences.Count == 0)
        {
            return;
        }

        json.WriteStartArray("licenses");
        foreach (var licence in licences)
        {
            json.WriteStartObject();
            if (licences.Count == 1 && ReportedValues.Url(licence) is null)
            {
                json.WriteString("expression", licence);
            }
            else
            {
                json.WriteStartObject("license");
                var url = ReportedValues.Url(licence);
                json.WriteString("name", url is null ? licence : "Unknown - See URL");
                if (url is not null)
                {
                    json.WriteString("url", url);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteDependency(Utf8JsonWriter json, string bomRef, IReadOnlyList<string> dependsOn, Dictionary<string, string> refs, IEnumerable<string>? more = null)
    {
        json.WriteStartObject();
        json.WriteString("ref", bomRef);
        json.WriteStartArray("dependsOn");
        foreach (var target in dependsOn.Select(d => refs.GetValueOrDefault(d)).OfType<string>().Concat(more ?? []).Distinct(StringComparer.Ordinal))
        {
            json.WriteStringValue(target);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WritePackageVulnerabilities(Utf8JsonWriter json, IReadOnlyList<(InstalledPackage Package, ModuleInfo? Info)> modules, AdvisorySuppression suppression)
    {
        // One entry per advisory, affecting every installed package it names.
        var advisories = modules
            .SelectMany(m => (m.Info?.InstalledVulnerabilities ?? []).Select(v => (Vulnerability: v, m.Package)))
            .GroupBy(x => x.Vulnerability.AdvisoryUrl, StringComparer.Ordinal);
        foreach (var advisory in advisories)
        {
            // CycloneDX's scale says medium where NuGet's says moderate; the other names are the same.
            var name = advisory.MaxBy(x => x.Vulnerability.Severity).Vulnerability.SeverityName;
            var severity = name == "moderate" ? "medium" : name;
            WriteVulnerability(json, AdvisorySuppression.IdOf(advisory.Key), advisory.Key, severity, null,
                advisory.Select(x => Purl(x.Package)), suppression.IsSuppressed(advisory.Key));
        }
    }

    private static void WriteRuntimeVulnerabilities(Utf8JsonWriter json, ModuleInfo? runtime, AdvisorySuppression suppression)
    {
        foreach (var vulnerability in runtime?.Platform?.Vulnerabilities ?? [])
        {
            WriteVulnerability(json, vulnerability.Id, vulnerability.AdvisoryUrl, null, $"Install the .NET runtime {vulnerability.FixedIn} or later.",
                [RuntimeRef], suppression.IsSuppressed(vulnerability.AdvisoryUrl, vulnerability.Id));
        }
    }

    /// <summary>
    /// One advisory. A suppressed one is one the operator has assessed and set aside for this application, which
    /// CycloneDX calls not affected; the detail says that it is the application's setting that says so.
    /// </summary>
    private static void WriteVulnerability(Utf8JsonWriter json, string? id, string url, string? severity, string? recommendation, IEnumerable<string> affects, bool suppressed)
    {
        json.WriteStartObject();
        if (id is not null)
        {
            json.WriteString("id", id);
        }

        json.WriteStartObject("source");
        json.WriteString("url", url);
        json.WriteEndObject();
        if (severity is not null)
        {
            json.WriteStartArray("ratings");
            json.WriteStartObject();
            json.WriteString("severity", severity);
            json.WriteEndObject();
            json.WriteEndArray();
        }

        json.WriteStartArray("advisories");
        json.WriteStartObject();
        json.WriteString("url", url);
        json.WriteEndObject();
        json.WriteEndArray();
        if (recommendation is not null)
        {
            json.WriteString("recommendation", recommendation);
        }

        json.WriteStartArray("affects");
        foreach (var target in affects.Distinct(StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("ref", target);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (suppressed)
        {
            json.WriteStartObject("analysis");
            json.WriteString("state", "not_affected");
            json.WriteString("detail", "Suppressed by the application's SuppressedAdvisories setting.");
            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    /// <summary>A deps.json hash (<c>sha512-&lt;base64&gt;</c>) as the hex digits CycloneDX wants, or null.</summary>
    private static string? Hex(string sha512)
    {
        var bytes = new byte[64];
        return sha512.StartsWith("sha512-", StringComparison.OrdinalIgnoreCase) && Convert.TryFromBase64String(sha512[7..], bytes, out var written) && written == 64
            ? Convert.ToHexString(bytes).ToLowerInvariant()
            : null;
    }
}
