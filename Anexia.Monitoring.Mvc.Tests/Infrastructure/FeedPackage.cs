namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>One version of a fixture package served by <see cref="LocalNuGetFeed"/>.</summary>
/// <param name="Version">The version string.</param>
/// <param name="Listed">Whether the registration marks it listed.</param>
/// <param name="LicenseExpression">The registration's <c>licenseExpression</c>.</param>
/// <param name="LicenseUrl">The registration's <c>licenseUrl</c>.</param>
/// <param name="NuspecLicense">An SPDX expression found only in the version's nuspec.</param>
/// <param name="Vulnerabilities">The registration entry's <c>vulnerabilities</c>.</param>
/// <param name="Deprecation">The registration entry's <c>deprecation</c>.</param>
internal sealed record FeedVersion(
    string Version,
    bool Listed = true,
    string? LicenseExpression = null,
    string? LicenseUrl = null,
    string? NuspecLicense = null,
    FeedVulnerability[]? Vulnerabilities = null,
    FeedDeprecation? Deprecation = null);

/// <summary>A vulnerability as a registration entry lists it.</summary>
/// <param name="Severity">NuGet's number: 0 low, 1 moderate, 2 high, 3 critical.</param>
/// <param name="AdvisoryUrl">The advisory's address.</param>
internal sealed record FeedVulnerability(int Severity, string AdvisoryUrl);

/// <summary>A deprecation as a registration entry declares it.</summary>
internal sealed record FeedDeprecation(string[] Reasons, string? Message = null, string? AlternateId = null);

/// <summary>An advisory of the feed's VulnerabilityInfo resource.</summary>
/// <param name="PackageId">The package it concerns.</param>
/// <param name="Url">The advisory's address.</param>
/// <param name="Severity">NuGet's number: 0 low to 3 critical.</param>
/// <param name="Versions">The affected version range (<c>[1.0.0, 1.5.0)</c>).</param>
/// <param name="InUpdateFile">Whether it is served in the second data file ("update") rather than the first ("base").</param>
internal sealed record FeedAdvisory(string PackageId, string Url, int Severity, string Versions, bool InUpdateFile = false);

/// <summary>A fixture package served by <see cref="LocalNuGetFeed"/>.</summary>
/// <param name="Id">The package id.</param>
/// <param name="Versions">Its versions.</param>
/// <param name="Paged">Whether its registration index links to a page instead of inlining the entries.</param>
/// <param name="ForeignEntryId">When set, one more entry with this id (and a very high version) is slipped into the registration.</param>
internal sealed record FeedPackage(string Id, FeedVersion[] Versions, bool Paged = false, string? ForeignEntryId = null);
