using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// The parts of a NuGet v3 registration index or page that <c>modules</c> reports, read with System.Text.Json as
/// the answer streams in: everything else (dependency groups, descriptions, tags, ...) is skipped without being kept.
/// At most <see cref="MaxEntries"/> entries are kept per answer; more fail the read like a malformed answer, so the
/// memory one answer takes is bounded by its entries, not only by its bytes.
/// </summary>
internal static class RegistrationJson
{
    /// <summary>
    /// The most entries one registration answer may carry. The public NuGet feed puts at most 128 in an index and 64
    /// in a page; private feeds that do not page stay far below this too.
    /// </summary>
    public const int MaxEntries = 10_000;

    /// <summary>Reads a registration index (its pages inline or as addresses) from <paramref name="utf8Json"/>.</summary>
    public static Task<Index> ReadIndexAsync(Stream utf8Json, CancellationToken cancellationToken) =>
        ReadAsync(utf8Json, RegistrationJsonContext.Default.Index, "The registration index is empty.", cancellationToken);

    /// <summary>Reads a registration page that the index lists by address.</summary>
    public static Task<Page> ReadPageAsync(Stream utf8Json, CancellationToken cancellationToken) =>
        ReadAsync(utf8Json, RegistrationJsonContext.Default.Page, "The registration page is empty.", cancellationToken);

    private static async Task<T> ReadAsync<T>(Stream utf8Json, JsonTypeInfo<T> type, string empty, CancellationToken cancellationToken)
    {
        BoundedList.BeginAnswer(MaxEntries);
        return await JsonSerializer.DeserializeAsync(utf8Json, type, cancellationToken).ConfigureAwait(false) ?? throw new InvalidDataException(empty);
    }

    /// <summary>The entries of <paramref name="leaves"/> that belong to <paramref name="id"/> and have a version.</summary>
    public static IEnumerable<PackageVersionEntry> EntriesOf(IEnumerable<Leaf> leaves, string id)
    {
        foreach (var leaf in leaves)
        {
            if (leaf.CatalogEntry is not { } entry
                || !string.Equals(entry.Id, id, StringComparison.OrdinalIgnoreCase)
                || !NuGetVersion.TryParse(entry.Version, out var version))
            {
                // A registration entry counts only if it really belongs to the requested id.
                continue;
            }

            yield return new PackageVersionEntry(version, entry.IsListed, Licences.From(entry.LicenseExpression, entry.LicenseUrl))
            {
                Vulnerabilities = entry.KnownVulnerabilities(),
                Deprecation = entry.Deprecation?.ToDeprecation(),
            };
        }
    }

    internal sealed class Index
    {
        [JsonPropertyName("items")]
        public PageList? Items { get; set; }
    }

    /// <summary>A registration page: its entries inline, or only its address.</summary>
    internal sealed class Page
    {
        [JsonPropertyName("@id")]
        public string? Address { get; set; }

        [JsonPropertyName("lower")]
        public string? Lower { get; set; }

        [JsonPropertyName("upper")]
        public string? Upper { get; set; }

        [JsonPropertyName("items")]
        public LeafList? Items { get; set; }

        /// <summary>Whether the page's range (lower to upper, both included) says it holds <paramref name="version"/>.</summary>
        public bool Holds(NuGetVersion version) =>
            NuGetVersion.TryParse(Lower, out var lower) && NuGetVersion.TryParse(Upper, out var upper) && version >= lower && version <= upper;
    }

    internal sealed class Leaf
    {
        [JsonPropertyName("catalogEntry")]
        [JsonConverter(typeof(CatalogEntryConverter))]
        public CatalogEntry? CatalogEntry { get; set; }
    }

    /// <summary>The catalog entry's fields that modules reports.</summary>
    internal sealed class CatalogEntry
    {
        [JsonPropertyName("id")]
        public string? Id { get; set; }

        [JsonPropertyName("version")]
        public string? Version { get; set; }

        [JsonPropertyName("listed")]
        public bool? Listed { get; set; }

        [JsonPropertyName("published")]
        public string? Published { get; set; }

        [JsonPropertyName("licenseExpression")]
        public string? LicenseExpression { get; set; }

        [JsonPropertyName("licenseUrl")]
        public string? LicenseUrl { get; set; }

        [JsonPropertyName("vulnerabilities")]
        public List<Vulnerability?>? Vulnerabilities { get; set; }

        [JsonPropertyName("deprecation")]
        public Deprecation? Deprecation { get; set; }

        /// <summary>
        /// Listed unless <c>listed</c> says false or the version was published on 1900-01-01, the date NuGet gives
        /// unlisted versions.
        /// </summary>
        public bool IsListed => Listed != false && Published?.StartsWith("1900-", StringComparison.Ordinal) != true;

        public IReadOnlyList<KnownVulnerability> KnownVulnerabilities() =>
            [.. (Vulnerabilities ?? []).Select(v => !string.IsNullOrWhiteSpace(v?.AdvisoryUrl) && KnownVulnerability.ToSeverity(v.Severity) is { } severity
                ? new KnownVulnerability(severity, v.AdvisoryUrl)
                : null).OfType<KnownVulnerability>()];
    }

    /// <summary>A known vulnerability as a registration entry lists it; NuGet writes the severity as a number in a string.</summary>
    internal sealed class Vulnerability
    {
        [JsonPropertyName("advisoryUrl")]
        public string? AdvisoryUrl { get; set; }

        [JsonPropertyName("severity")]
        [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
        public int Severity { get; set; } = -1;
    }

    internal sealed class Deprecation
    {
        [JsonPropertyName("reasons")]
        public List<string?>? Reasons { get; set; }

        [JsonPropertyName("message")]
        public string? Message { get; set; }

        [JsonPropertyName("alternatePackage")]
        public AlternatePackage? AlternatePackage { get; set; }

        public PackageDeprecation ToDeprecation() => new(
            [.. (Reasons ?? []).Where(r => !string.IsNullOrWhiteSpace(r)).Select(r => r!)],
            string.IsNullOrWhiteSpace(Message) ? null : Message,
            string.IsNullOrWhiteSpace(AlternatePackage?.Id) ? null : AlternatePackage.Id);
    }

    internal sealed class AlternatePackage
    {
        [JsonPropertyName("id")]
        public string? Id { get; set; }
    }

    /// <summary>The pages of an index, at most <see cref="MaxEntries"/>.</summary>
    internal sealed class PageList() : BoundedList<Page>(MaxEntries, "The registration answer lists more than {0} pages.");

    /// <summary>The leaves of a page, at most <see cref="MaxEntries"/> over all pages of one answer.</summary>
    internal sealed class LeafList() : BoundedList<Leaf>(MaxEntries, "The registration answer lists more than {0} entries.", countsAgainstAnswer: true);

    /// <summary>
    /// A catalog entry is an object in registration indexes and pages; elsewhere it can be the address of the catalog
    /// document, which carries nothing modules reports. That (or any other non-object) is read as no entry.
    /// </summary>
    internal sealed class CatalogEntryConverter : JsonConverter<CatalogEntry?>
    {
        public override CatalogEntry? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                return null;
            }

            return JsonSerializer.Deserialize(ref reader, RegistrationJsonContext.Default.CatalogEntry);
        }

        public override void Write(Utf8JsonWriter writer, CatalogEntry? value, JsonSerializerOptions options) =>
            throw new NotSupportedException();
    }
}

[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(RegistrationJson.Index))]
[JsonSerializable(typeof(RegistrationJson.Page))]
[JsonSerializable(typeof(RegistrationJson.CatalogEntry))]
internal sealed partial class RegistrationJsonContext : JsonSerializerContext;
