using Microsoft.AspNetCore.Http;

namespace Anexia.Monitoring.Mvc.Security;

/// <summary>
/// The headers of the wire contract, on every answer of the monitoring endpoints, 401, 405 and 429 included (the Django
/// app leaves them off its 401, which a browser-based dashboard then cannot read), plus two additions:
/// <c>Access-Control-Allow-Headers: Authorization</c> (so a browser may send the token as a Bearer header) and
/// <c>Cache-Control: no-store</c>. Every answer is a <see cref="Controllers.PreparedBodyResult"/>, which writes them.
/// </summary>
internal static class AnxApiResponseHeaders
{
    /// <summary>
    /// The methods the endpoints answer, as announced in <c>Allow</c>: GET, HEAD (the same headers, no body) and
    /// OPTIONS (the CORS preflight). Every other method gets 405 with this same header.
    /// </summary>
    public const string AllowedMethods = "GET, HEAD, OPTIONS";

    public static void Apply(HttpResponse response)
    {
        var headers = response.Headers;
        headers.AccessControlAllowOrigin = "*";
        headers.AccessControlAllowCredentials = "true";
        headers.AccessControlAllowMethods = "GET, OPTIONS";
        headers.AccessControlAllowHeaders = "Authorization";
        headers.Allow = AllowedMethods;

        // Monitoring data is never to be kept by a browser or a proxy, and a 401 must not be replayed from a cache.
        headers.CacheControl = "no-store";
    }
}
