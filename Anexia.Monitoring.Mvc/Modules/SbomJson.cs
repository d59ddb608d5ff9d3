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
            WriteFramework(json, RuntimeRef, "Microsoft.NETCore.App", RuntimeVersions.Platform, "cpe:2.3:a:microsoft:.net:");
            WriteFramework(json, AspNetCoreRef, "Microsoft.AspNetCore.App", RuntimeVersions.Framework, "cpe:2.3:a:microsoft:asp.net_core:");
            foreach (var project in application.Projects)
            {
                json.WriteStartObject();
                json.WriteString("type", "library");
                json.WriteString("bom-ref", ProjectRef(project));
                json.WriteString("name", project.Name);
                json.WriteString("version", project.Version);
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
    public static string Purl(InstalledPackage package) => $"pkg:nuget/{Uri.EscapeDataString(package.Name)}@{Uri.EscapeDataString(package.Version)}";

    private static string ProjectRef(InstalledPackage project) => $"project:{project.Name}@{project.Version}";

    private static void WriteMetadata(Utf8JsonWriter json, InstalledPackage application, DateTimeOffset now)
    {
        json.WriteStartObject("metadata");
        json.WriteString("timestamp", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteStartObject("tools");
        json.WriteStartArray("components");
        json.WriteStartObject();
        json.WriteString("type", "library");
        json.WriteString("name", typeof(SbomJson).Assembly.GetName().Name);
        json.WriteString("version", RuntimeVersions.ProductVersion(typeof(SbomJson).Assembly) ?? "0.0.0");
        json.WriteString("purl", $"pkg:nuget/{typeof(SbomJson).Assembly.GetName().Name}@{RuntimeVersions.ProductVersion(typeof(SbomJson).Assembly)}");
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartObject("component");
        json.WriteString("type", "application");
        json.WriteString("bom-ref", ProjectRef(application));
        json.WriteString("name", application.Name);
        json.WriteString("version", application.Version);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteFramework(Utf8JsonWriter json, string bomRef, string name, string version, string cpePrefix)
    {
        json.WriteStartObject();
        json.WriteString("type", "framework");
        json.WriteString("bom-ref", bomRef);
        json.WriteString("publisher", "Microsoft");
        json.WriteString("name", name);
        json.WriteString("version", version);
        json.WriteString("cpe", $"{cpePrefix}{version}:*:*:*:*:*:*:*");
        json.WriteEndObject();
    }

    private static void WritePackage(Utf8JsonWriter json, InstalledPackage package, ModuleInfo? info)
    {
        json.WriteStartObject();
        json.WriteString("type", "library");
        json.WriteString("bom-ref", Purl(package));
        json.WriteString("name", package.Name);
        json.WriteString("version", package.Version);
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
        if (licences.Count == 1 && ReportedValues.Url(licences[0]) is null)
        {
            json.WriteStartObject();
            json.WriteString("expression", licences[0]);
            json.WriteEndObject();
        }
        else
        {
            foreach (var licence in licences)
            {
                json.WriteStartObject();
                json.WriteStartObject("license");
                if (ReportedValues.Url(licence) is { } url)
                {
                    json.WriteString("name", "Unknown - See URL");
                    json.WriteString("url", url);
                }
                else
                {
                    json.WriteString("name", licence);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }
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
            var url = advisory.Key;
            json.WriteStartObject();
            if (AdvisorySuppression.IdOf(url) is { } id)
            {
                json.WriteString("id", id);
            }

            WriteSource(json, url);
            json.WriteStartArray("ratings");
            json.WriteStartObject();
            json.WriteString("severity", advisory.Max(x => x.Vulnerability.Severity) switch
            {
                VulnerabilitySeverity.Low => "low",
                VulnerabilitySeverity.Moderate => "medium",
                VulnerabilitySeverity.High => "high",
                _ => "critical",
            });
            json.WriteEndObject();
            json.WriteEndArray();
            WriteAdvisory(json, url);
            WriteAffects(json, advisory.Select(x => Purl(x.Package)));
            WriteAnalysis(json, suppression.IsSuppressed(url));
            json.WriteEndObject();
        }
    }

    private static void WriteRuntimeVulnerabilities(Utf8JsonWriter json, ModuleInfo? runtime, AdvisorySuppression suppression)
    {
        foreach (var vulnerability in runtime?.Platform?.Vulnerabilities ?? [])
        {
            json.WriteStartObject();
            json.WriteString("id", vulnerability.Id);
            WriteSource(json, vulnerability.AdvisoryUrl);
            WriteAdvisory(json, vulnerability.AdvisoryUrl);
            json.WriteString("recommendation", $"Install the .NET runtime {vulnerability.FixedIn} or later.");
            WriteAffects(json, [RuntimeRef]);
            WriteAnalysis(json, suppression.IsSuppressed(vulnerability.AdvisoryUrl, vulnerability.Id));
            json.WriteEndObject();
        }
    }

    private static void WriteSource(Utf8JsonWriter json, string url)
    {
        json.WriteStartObject("source");
        json.WriteString("url", url);
        json.WriteEndObject();
    }

    private static void WriteAdvisory(Utf8JsonWriter json, string url)
    {
        json.WriteStartArray("advisories");
        json.WriteStartObject();
        json.WriteString("url", url);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    private static void WriteAffects(Utf8JsonWriter json, IEnumerable<string> refs)
    {
        json.WriteStartArray("affects");
        foreach (var target in refs.Distinct(StringComparer.Ordinal))
        {
            json.WriteStartObject();
            json.WriteString("ref", target);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    /// <summary>
    /// A suppressed advisory is one the operator has assessed and set aside for this application, which CycloneDX calls
    /// not affected; the detail says that it is the application's setting that says so.
    /// </summary>
    private static void WriteAnalysis(Utf8JsonWriter json, bool suppressed)
    {
        if (!suppressed)
        {
            return;
        }

        json.WriteStartObject("analysis");
        json.WriteString("state", "not_affected");
        json.WriteString("detail", "Suppressed by the application's SuppressedAdvisories setting.");
        json.WriteEndObject();
    }

    /// <summary>A deps.json hash (<c>sha512-&lt;base64&gt;</c>) as the hex digits CycloneDX wants, or null.</summary>
    private static string? Hex(string sha512)
    {
        const string Prefix = "sha512-";
        if (!sha512.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var bytes = new byte[64];
        return Convert.TryFromBase64String(sha512[Prefix.Length..], bytes, out var written) && written == 64 ? Convert.ToHexString(bytes).ToLowerInvariant() : null;
    }
}
