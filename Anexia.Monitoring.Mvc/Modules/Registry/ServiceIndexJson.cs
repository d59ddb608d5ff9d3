using System.Text.Json;
using System.Text.Json.Serialization;
using Newtonsoft.Json.Linq;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// Reads a feed's service index as it streams, keeping only each resource's address, types and client version (at most
/// <see cref="MaxResources"/> resources, addresses of at most <see cref="ReportedValues.MaxUrlLength"/> characters),
/// and hands NuGet.Protocol's <c>ServiceIndexResourceV3</c> the small document it chooses its resources from. Numbers,
/// descriptions and anything else a hostile index may be padded with are skipped without being kept.
/// </summary>
internal static class ServiceIndexJson
{
    /// <summary>The most resources a service index may list; the public NuGet feed lists about thirty.</summary>
    public const int MaxResources = 1_000;

    public static async Task<JObject> ReadAsync(Stream utf8Json, CancellationToken cancellationToken)
    {
        var index = await JsonSerializer.DeserializeAsync(utf8Json, ServiceIndexJsonContext.Default.Document, cancellationToken).ConfigureAwait(false);
        var resources = new JArray();
        foreach (var resource in index?.Resources ?? throw new InvalidDataException("The service index lists no resources."))
        {
            if (resource?.Id is { Length: > 0 and <= ReportedValues.MaxUrlLength } id && resource.Types is { Count: > 0 } types)
            {
                var kept = new JObject { ["@id"] = id, ["@type"] = new JArray(types) };
                if (resource.ClientVersion is { Length: <= 64 } clientVersion)
                {
                    kept["clientVersion"] = clientVersion;
                }

                resources.Add(kept);
            }
        }

        return new JObject { ["version"] = index.Version is { Length: <= 64 } version ? version : "3.0.0", ["resources"] = resources };
    }

    internal sealed class Document
    {
        [JsonPropertyName("version")]
        [JsonConverter(typeof(LenientStringConverter))]
        public string? Version { get; set; }

        [JsonPropertyName("resources")]
        public ResourceList? Resources { get; set; }
    }

    internal sealed class Resource
    {
        [JsonPropertyName("@id")]
        [JsonConverter(typeof(LenientStringConverter))]
        public string? Id { get; set; }

        [JsonPropertyName("@type")]
        [JsonConverter(typeof(TypeNamesConverter))]
        public List<string>? Types { get; set; }

        [JsonPropertyName("clientVersion")]
        [JsonConverter(typeof(LenientStringConverter))]
        public string? ClientVersion { get; set; }
    }

    internal sealed class ResourceList() : BoundedList<Resource?>(MaxResources, "The service index lists more than {0} resources.");

    /// <summary>A string, or null for any other value (skipped).</summary>
    internal sealed class LenientStringConverter : JsonConverter<string?>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString();
            }

            reader.Skip();
            return null;
        }

        public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) =>
            throw new NotSupportedException();
    }

    /// <summary>A resource's type: one name, or a list of names (at most eight kept); anything else is no type.</summary>
    internal sealed class TypeNamesConverter : JsonConverter<List<string>?>
    {
        public override List<string>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.String)
            {
                return reader.ValueTextEquals(string.Empty) ? null : [reader.GetString()!];
            }

            if (reader.TokenType != JsonTokenType.StartArray)
            {
                reader.Skip();
                return null;
            }

            var names = new List<string>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.String && names.Count < 8 && reader.ValueSpan.Length <= 200)
                {
                    names.Add(reader.GetString()!);
                }
                else
                {
                    reader.Skip();
                }
            }

            return names;
        }

        public override void Write(Utf8JsonWriter writer, List<string>? value, JsonSerializerOptions options) =>
            throw new NotSupportedException();
    }
}

[JsonSourceGenerationOptions(GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(ServiceIndexJson.Document))]
internal sealed partial class ServiceIndexJsonContext : JsonSerializerContext;
