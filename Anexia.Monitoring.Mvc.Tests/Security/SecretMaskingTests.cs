using System.Net;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Anexia.Monitoring.Mvc.Tests.Security;

/// <summary>Credentials in check messages never reach an up line or a log entry.</summary>
[TestFixture]
public sealed class SecretMaskingTests
{
    [TestCase("login to https://admin:Hunter2Secret@api.internal.example failed", "login to https://***@api.internal.example failed")]
    [TestCase("redis://:s3cret@cache:6379 refused", "redis://***@cache:6379 refused")]
    [TestCase("ftp://deploy@files.example/path@2 timed out", "ftp://***@files.example/path@2 timed out")]
    [TestCase("Host=db;Username=app;Password=Hunter2;Database=shop", "Host=db;Username=app;Password=***;Database=shop")]
    [TestCase("Server=db;User ID=sa;Pwd=abc def;Encrypt=true", "Server=db;User ID=sa;Pwd=***;Encrypt=true")]
    [TestCase("Data Source=x;password = \"quoted; value\";Timeout=3", "Data Source=x;password = ***;Timeout=3")]
    [TestCase("DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=abc==;EndpointSuffix=core", "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=***;EndpointSuffix=core")]
    [TestCase("Endpoint=sb://bus/;SharedAccessKeyName=root;SharedAccessKey=xyz=", "Endpoint=sb://bus/;SharedAccessKeyName=root;SharedAccessKey=***")]
    [TestCase("queue length 12000 above 10000", "queue length 12000 above 10000")]
    [TestCase("see https://status.example/incidents?id=4 for details", "see https://status.example/incidents?id=4 for details")]
    public void Apply_MasksUserInfoAndPasswordKeysAndLeavesTheRest(string message, string expected) =>
        Assert.That(SecretMasker.Apply(message), Is.EqualTo(expected));

    // One case per shape docs/security.md lists.
    [TestCase("https://ci:p/ss#w?rd@feed.example/v3/index.json down", "https://***@feed.example/v3/index.json down", TestName = "Password with / # ?")]
    [TestCase("https://ci:p@ss@feed.example/v3 down", "https://***@feed.example/v3 down", TestName = "Password with @")]
    [TestCase("https://ci:pass word@feed.example/v3 down", "https://***@feed.example/v3 down", TestName = "Password with a space")]
    [TestCase("http://localhost:8080/a@b is fine", "http://localhost:8080/a@b is fine", TestName = "A port is no password")]
    [TestCase("GET https://feed.example/v3?access_token=abc123&x=1", "GET https://feed.example/v3?access_token=***&x=1", TestName = "access_token")]
    [TestCase("https://x.blob.example/c?sv=2024&sig=AbC%2Bdef%3D&se=1", "https://x.blob.example/c?sv=2024&sig=***&se=1", TestName = "SAS sig")]
    [TestCase("call failed: api_key=K-123 apikey=K-456 key=K-789", "call failed: api_key=*** apikey=*** key=***", TestName = "api_key apikey key")]
    [TestCase("token=t0k client_secret=s3c secret=s signature=sg passwd=pw", "token=*** client_secret=*** secret=*** signature=*** passwd=***", TestName = "token client_secret secret signature passwd")]
    [TestCase("sent Authorization: Bearer abc.def-ghi", "sent Authorization: Bearer ***", TestName = "Authorization header")]
    [TestCase("401 for Basic dXNlcjpwYXNz", "401 for Basic ***", TestName = "Basic credentials")]
    [TestCase("Basic authentication is off", "Basic authentication is off", TestName = "Basic in prose")]
    [TestCase("body {\"user\": \"a\", \"password\": \"Hunter2\"}", "body {\"user\": \"a\", \"password\": \"***\"}", TestName = "JSON password")]
    [TestCase("{\"client_secret\":\"x\\\"y\"}", "{\"client_secret\":\"***\"}", TestName = "JSON client_secret with an escaped quote")]
    [TestCase("jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl rejected", "jwt *** rejected", TestName = "JWT")]
    [TestCase("env GITHUB_TOKEN=ghp_x1 NUGET_API_KEY=oy2x aws_secret_access_key=AKx", "env GITHUB_TOKEN=*** NUGET_API_KEY=*** aws_secret_access_key=***", TestName = "Prefixed names")]
    [TestCase("{\"Authorization\": \"token ghp_abc\"}", "{\"Authorization\": \"token ***\"}", TestName = "Authorization as a JSON property")]
    [TestCase("sent X-NuGet-ApiKey: oy2abcdef", "sent X-NuGet-ApiKey: ***", TestName = "X-NuGet-ApiKey header")]
    [TestCase("token=abc,def)x next", "token=*** next", TestName = "Value with a comma")]
    public void Apply_MasksEachShape(string message, string expected) =>
        Assert.That(SecretMasker.Apply(message), Is.EqualTo(expected));

    [Test]
    public void ForLog_EscapesLineBreaksAndControlCharacters_AndMasks()
    {
        Assert.That(SecretMasker.ForLog("page\r\nFORGED entry\u001b[31m password=x"), Is.EqualTo("page\\r\\nFORGED entry\\u001b[31m password=***"));
    }

    [Test]
    public void ForLog_CutsLongTextBeforeMasking_AndKeepsHostileRepetitionsLinear()
    {
        var repeated = string.Concat(Enumerable.Repeat("a://b:", 10_000)) + string.Concat(Enumerable.Repeat("eyJ-", 16_000));

        var line = SecretMasker.ForLog(repeated);

        Assert.Multiple(() =>
        {
            Assert.That(line, Has.Length.LessThanOrEqualTo(SecretMasker.MaxLogText + 1));
            Assert.That(line, Does.EndWith("…"));
            Assert.That(SecretMasker.ForLog("x\u2028FORGED\u202Etxt"), Is.EqualTo("x\\u2028FORGED\\u202etxt"), "line separators and bidirectional overrides escaped");
        });
    }

    [Test]
    public void PackageSourceAddress_WithSecretQueryParameters_IsMaskedInMessages()
    {
        var source = new Anexia.Monitoring.Mvc.Modules.Registry.LocalFolderSource(
            new NuGet.Configuration.PackageSource("https://feed.example/v3/index.json?sv=1&sig=SasSecret1&api_key=KeySecret2"), TimeSpan.FromMinutes(1), TimeProvider.System);

        Assert.That(source.DisplayName, Is.EqualTo("https://feed.example/v3/index.json?sv=1&sig=***&api_key=***"));
    }

    [Test]
    public void Apply_WithoutSecrets_ReturnsTheSameInstance()
    {
        const string message = "disk 93% full";

        Assert.That(SecretMasker.Apply(message), Is.SameAs(message));
    }

    [Test]
    public async Task Up_CheckThrowingACredentialUrl_WritesTheLineMaskedAndLogsNoSecret()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b => b.Services.AddHealthChecks()
                .AddCheck("billing", () => HealthCheckResult.Unhealthy("Host=billing;Password=BridgeSecret1;Database=b"))
                .AddCheck("mail", () => HealthCheckResult.Degraded("smtp://relay:MailSecret2@mail.internal refused")));
        host.Events.Subscribe<MonitorUpCheck>("api", (_, _) =>
            throw new InvalidOperationException("login to https://admin:Hunter2Secret@api.internal.example failed"));
        host.Events.Subscribe<MonitorUpCheck>("cache", (_, _) =>
            throw new MonitorUpWarningException("redis://:CacheSecret3@cache:6379 is slow"));

        using var response = await host.GetUpAsync();
        var body = await response.Content.ReadAsStringAsync();
        // The library's own entries; the host's health check service logs its checks' descriptions itself.
        var logs = string.Join("\n", host.Logs.Entries.Where(e => e.Category.StartsWith("Anexia.", StringComparison.Ordinal)).Select(e => e.ToString()));

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(body.Split('\n'), Is.EqualTo(new[]
            {
                "WARNING: mail: smtp://***@mail.internal refused",
                "WARNING: redis://***@cache:6379 is slow",
                "ERROR: billing: Host=billing;Password=***;Database=b",
                "ERROR: login to https://***@api.internal.example failed",
            }));
            foreach (var secret in new[] { "Hunter2Secret", "BridgeSecret1", "MailSecret2", "CacheSecret3" })
            {
                Assert.That(logs, Does.Not.Contain(secret), $"{secret} in the log");
            }

            Assert.That(logs, Does.Contain("https://***@api.internal.example"), "the masked message is logged");
        });
    }
}
