using Anexia.Monitoring.Mvc.Up;

namespace Anexia.Monitoring.Mvc.Tests.Up;

[TestFixture]
public sealed class UpReportTests
{
    [Test]
    public void NoOutcomes_IsOk()
    {
        var report = new UpReport([]);

        Assert.That((report.StatusCode, report.Body), Is.EqualTo((200, "OK")));
    }

    [Test]
    public void OnlyOkOutcomes_IsOk()
    {
        var report = new UpReport([UpCheckOutcome.Ok, UpCheckOutcome.Ok]);

        Assert.That((report.StatusCode, report.Body), Is.EqualTo((200, "OK")));
    }

    [Test]
    public void WarningsOnly_Is200WithoutOk()
    {
        var report = new UpReport([new(UpCheckStatus.Warning, "a"), UpCheckOutcome.Ok, new(UpCheckStatus.Warning, "b")]);

        Assert.That((report.StatusCode, report.Body), Is.EqualTo((200, "WARNING: a\nWARNING: b")));
    }

    [Test]
    public void ErrorsAfterWarnings_Is500()
    {
        var report = new UpReport([new(UpCheckStatus.Error, "e"), new(UpCheckStatus.Warning, "w")]);

        Assert.That((report.StatusCode, report.Body), Is.EqualTo((500, "WARNING: w\nERROR: e")));
    }

    [TestCase(null, "-")]
    [TestCase("", "-")]
    [TestCase(" \n ", "-")]
    [TestCase("a\r\nb", "a  b")]
    [TestCase("a\u0085b\u2028c\u2029d\ve\ff\tg", "a b c d e f g")]
    [TestCase("plain", "plain")]
    public void ToSingleLine_KeepsMessagesOnOneLine(string? message, string expected) =>
        Assert.That(UpReport.ToSingleLine(message), Is.EqualTo(expected));
}
