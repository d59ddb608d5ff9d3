using Anexia.Monitoring.Mvc.Modules;
using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Tests.Modules;

/// <summary>The one place where values from feeds and the shared cache are checked before they are kept.</summary>
[TestFixture]
public sealed class ReportedValuesTests
{
    [TestCase("MIT", true)]
    [TestCase("Apache-2.0 OR MIT", true)]
    [TestCase("(GPL-2.0-or-later WITH Classpath-exception-2.0)", true)]
    [TestCase("LicenseRef-Proprietary", true)]
    [TestCase("https://licences.example.test/eula", true)]
    [TestCase("javascript:alert(1)", false)]
    [TestCase("MIT\n", false)]
    [TestCase("data:text/html,<b>x</b>", false)]
    [TestCase("https://x.test/a b", false)]
    [TestCase("https://x.test/a|b", false)]
    [TestCase("https://x.test/{a}", false)]
    public void Licence_KeepsSpdxShapesAndHttpUrlsOnly(string licence, bool kept) =>
        Assert.That(ReportedValues.Licence(licence), kept ? Is.EqualTo(licence) : Is.Null);

    [TestCase("Legacy\n")]
    [TestCase("x y")]
    public void Reason_WithMoreThanAWord_IsDropped(string reason) => Assert.That(ReportedValues.Reason(reason), Is.Null);

    [Test]
    public void Message_OfControlCharactersOnly_IsNoMessage_AndCheckingTwiceChangesNothing()
    {
        var info = new ModuleInfo(NuGetVersion.Parse("1.0.0"), ["MIT"], ["MIT"])
        {
            InstalledDeprecation = new PackageDeprecation(["Legacy"], "\u0001", null),
        };

        var once = ReportedValues.Check(info, out _);
        var twice = ReportedValues.Check(once, out var dropped);

        Assert.Multiple(() =>
        {
            Assert.That(once.InstalledDeprecation!.Message, Is.Null);
            Assert.That(twice, Is.SameAs(once), "what the library writes to the shared cache passes its own check");
            Assert.That(dropped, Is.Zero);
        });
    }

    [Test]
    public void Message_LongOrWithLineSeparators_IsOneCutLine_AndStable()
    {
        var message = ReportedValues.Message("a\u2028b" + new string('x', 5_000));

        Assert.Multiple(() =>
        {
            Assert.That(message, Does.StartWith("a b"));
            Assert.That(message, Has.Length.EqualTo(ReportedValues.MaxMessageLength));
            Assert.That(ReportedValues.Message(message), Is.EqualTo(message));
        });
    }

    [Test]
    public void Check_VersionsLongerThanTheBound_AreDropped()
    {
        var huge = NuGetVersion.Parse("10.0.99-" + new string('a', 15_000));
        var info = new ModuleInfo(huge, [], []) { NewestCompatibleVersion = huge };

        var checkedInfo = ReportedValues.Check(info, out var dropped);

        Assert.That((checkedInfo.NewestVersion, checkedInfo.NewestCompatibleVersion, dropped), Is.EqualTo(((NuGetVersion?)null, (NuGetVersion?)null, 2)));
    }

    [Test]
    public void Check_RuntimeStatus_KeepsOneWellShapedEntryPerCve()
    {
        var info = new ModuleInfo(NuGetVersion.Parse("10.0.14"), [], [])
        {
            Platform = new PlatformStatus("active ", "2028-11-14", [
                new("CVE-2026-0001", "https://msrc.example/CVE-2026-0001", "10.0.13"),
                new("CVE-2026-0001", "https://msrc.example/CVE-2026-0001", "10.0.13"),
                new("CVE-2026-0002", "javascript:alert(1)", "10.0.13"),
                new("<script>", "https://msrc.example/x", "10.0.13"),
                new("CVE-2026-0003", "https://msrc.example/CVE-2026-0003", "10.0.14-" + new string('a', 200)),
                new("CVE-2026-0004", "https://msrc.example/CVE-2026-0004", "10.0.14"),
            ]),
        };

        var platform = ReportedValues.Check(info, out var dropped).Platform!;

        Assert.That(platform.SupportPhase, Is.Null, "a phase is one lower-case word");
        Assert.That(platform.EndOfSupport, Is.EqualTo("2028-11-14"));
        Assert.That(platform.Vulnerabilities.Select(v => v.Id), Is.EqualTo(new[] { "CVE-2026-0001", "CVE-2026-0004" }));
        Assert.That(dropped, Is.EqualTo(5));
    }
}
