using Anexia.Monitoring.Mvc.Modules;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>The fixture packages of the modules tests, one per version or licence rule, and the installed versions.</summary>
internal static class Fixtures
{
    public const string UrlLicence = "https://licences.example.test/fixture-eula";

    public static FeedPackage[] Feed { get; } =
    [
        new("Fixture.Alpha", [new("1.0.0", LicenseExpression: "MIT"), new("1.1.0", LicenseExpression: "MIT OR Apache-2.0"), new("2.0.0-beta", LicenseExpression: "MIT")]),
        new("Fixture.OnlyPrerelease", [new("1.0.0-rc1", LicenseExpression: "MIT"), new("1.0.0-rc2", LicenseExpression: "BSD-3-Clause")]),
        new("Fixture.Unlisted", [new("1.0.0", LicenseExpression: "MIT"), new("2.0.0", Listed: false, LicenseExpression: "GPL-3.0-only")]),
        new("Fixture.Prerelease", [new("1.0.0", LicenseExpression: "MIT"), new("1.1.0-alpha", LicenseExpression: "MIT"), new("1.1.0-beta", LicenseExpression: "Apache-2.0")]),
        new("Fixture.Paged", [new("1.0.0", LicenseExpression: "MIT"), new("2.0.0", LicenseExpression: "MIT"), new("3.0.0", LicenseExpression: "Apache-2.0")], Paged: true),
        new("Fixture.UrlLicence", [new("1.0.0", LicenseUrl: UrlLicence)]),
        new("Fixture.NuspecOnly", [new("1.0.0", NuspecLicense: "Apache-2.0"), new("1.2.0", NuspecLicense: "MPL-2.0")]),
        new("Fixture.Foreign", [new("1.0.0", LicenseExpression: "MIT")], ForeignEntryId: "Somebody.Else"),
    ];

    /// <summary>Installed versions, deliberately not in name order.</summary>
    public static InstalledPackage[] Installed { get; } =
    [
        new("Fixture.Paged", "1.0.0"),
        new("Fixture.Alpha", "1.0.0"),
        new("Private.Package", "4.2.0"),
        new("Fixture.OnlyPrerelease", "1.0.0-rc1"),
        new("Fixture.Unlisted", "2.0.0"),
        new("Fixture.Prerelease", "1.1.0-alpha"),
        new("Fixture.UrlLicence", "1.0.0"),
        new("Fixture.NuspecOnly", "1.0.0"),
        new("Fixture.Foreign", "1.0.0"),
    ];
}
