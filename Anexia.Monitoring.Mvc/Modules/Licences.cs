using NuGet.Packaging;

namespace Anexia.Monitoring.Mvc.Modules;

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

    public static IReadOnlyList<string> From(NuspecReader nuspec)
    {
        var metadata = nuspec.GetLicenseMetadata();
        var expression = metadata?.Type == LicenseType.Expression ? metadata.License : null;
        return From(expression, nuspec.GetLicenseUrl());
    }
}
