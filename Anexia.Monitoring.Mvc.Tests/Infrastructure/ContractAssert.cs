namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>Assertions of the wire contract's fixed parts.</summary>
internal static class ContractAssert
{
    /// <summary>The CORS, Allow and Cache-Control headers every answer carries, 401 and 405 included.</summary>
    public static void HasContractHeaders(HttpResponseMessage response)
    {
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "*" }));
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Credentials"), Is.EqualTo(new[] { "true" }));
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Methods"), Is.EqualTo(new[] { "GET, OPTIONS" }));
            Assert.That(response.Content.Headers.Allow, Is.EqualTo(new[] { "GET", "HEAD", "OPTIONS" }));
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Headers"), Is.EqualTo(new[] { "Authorization" }));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True, "Cache-Control: no-store");
        });
    }

    /// <summary>Status, exact content type <c>text/plain</c> and exact body.</summary>
    public static async Task IsPlainTextAsync(HttpResponseMessage response, System.Net.HttpStatusCode status, string body)
    {
        var actualBody = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(status));
            Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/plain"));
            Assert.That(actualBody, Is.EqualTo(body));
        });
    }
}
