using System.Xml;

namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// The licence rule: the SPDX expression a version declares, else the licence URL it declares, else nothing.
/// Never guessed.
/// </summary>
internal static class Licences
{
    // The placeholder URL NuGet writes into nuspecs whose licence is an expression or a file; it names no licence.
    private const string DeprecatedLicenseUrlPlaceholder = "https://aka.ms/deprecateLicenseUrl";

    public static IReadOnlyList<string> From(string? expression, string? url)
    {
        if (!string.IsNullOrWhiteSpace(expression))
        {
            return [expression.Trim()];
        }

        if (!string.IsNullOrWhiteSpace(url) && !string.Equals(url.Trim(), DeprecatedLicenseUrlPlaceholder, StringComparison.OrdinalIgnoreCase))
        {
            return [url.Trim()];
        }

        return [];
    }

    /// <summary>
    /// The licence a nuspec streaming in declares, read with an <see cref="XmlReader"/> that keeps nothing but the
    /// <c>license</c> and <c>licenseUrl</c> values of its metadata (each up to <see cref="ReportedValues.MaxUrlLength"/>
    /// characters; a longer one counts as none): a nuspec padded with elements or text costs no memory.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FromNuspecAsync(Stream nuspec, CancellationToken cancellationToken)
    {
        var settings = new XmlReaderSettings
        {
            Async = true,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = false,
        };
        using var reader = XmlReader.Create(nuspec, settings);
        string? expression = null;
        string? url = null;
        while (await reader.ReadAsync().ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (reader.Depth == 1 && reader.NodeType == XmlNodeType.EndElement && reader.LocalName == "metadata")
            {
                break;
            }

            if (reader.Depth != 2 || reader.NodeType != XmlNodeType.Element)
            {
                continue;
            }

            if (reader.LocalName == "license" && reader.GetAttribute("type") == "expression")
            {
                expression = await ShortTextAsync(reader).ConfigureAwait(false);
            }
            else if (reader.LocalName == "licenseUrl")
            {
                url = await ShortTextAsync(reader).ConfigureAwait(false);
            }
        }

        return From(expression, url);
    }

    /// <summary>The text of the element the reader is on, when it is short; null for an empty or a long one.</summary>
    private static async Task<string?> ShortTextAsync(XmlReader reader)
    {
        if (reader.IsEmptyElement || !await reader.ReadAsync().ConfigureAwait(false) || reader.NodeType is not (XmlNodeType.Text or XmlNodeType.CDATA))
        {
            return null;
        }

        var buffer = new char[ReportedValues.MaxUrlLength + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await reader.ReadValueChunkAsync(buffer, length, buffer.Length - length).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        return length > ReportedValues.MaxUrlLength ? null : new string(buffer, 0, length);
    }
}
