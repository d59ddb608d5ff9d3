namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>One version of a fixture package served by <see cref="LocalNuGetFeed"/>.</summary>
/// <param name="Version">The version string.</param>
/// <param name="Listed">Whether the registration marks it listed.</param>
/// <param name="LicenseExpression">The registration's <c>licenseExpression</c>.</param>
/// <param name="LicenseUrl">The registration's <c>licenseUrl</c>.</param>
/// <param name="NuspecLicense">An SPDX expression found only in the version's nuspec.</param>
internal sealed record FeedVersion(string Version, bool Listed = true, string? LicenseExpression = null, string? LicenseUrl = null, string? NuspecLicense = null);

/// <summary>A fixture package served by <see cref="LocalNuGetFeed"/>.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Versions">Its versions.</param>
/// <param name="Paged">Whether its registration index links to a page instead of inlining the entries.</param>
/// <param name="ForeignEntryId">When set, one more entry with this id (and a very high version) is slipped into the registration.</param>
internal sealed record FeedPackage(string Id, FeedVersion[] Versions, bool Paged = false, string? ForeignEntryId = null);
