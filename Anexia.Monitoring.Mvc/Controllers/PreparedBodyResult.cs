using System.Text;
using Anexia.Monitoring.Mvc.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Anexia.Monitoring.Mvc.Controllers;

/// <summary>
/// Writes an answer's bytes as they are, with the contract's headers (<see cref="AnxApiResponseHeaders"/>): exact
/// content type, <c>Content-Length</c>, no formatter and none of the host's output options. A HEAD request gets the same status and headers and no body, whatever the server
/// (Kestrel drops a HEAD body itself; other servers and the test server do not).
/// </summary>
internal sealed class PreparedBodyResult : IActionResult
{
    /// <summary>The content type of <c>up</c> and of every error answer, exactly as the Django app sends it.</summary>
    public const string PlainTextContentType = "text/plain";

    public const string JsonContentType = "application/json";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly int _statusCode;
    private readonly string _contentType;
    private readonly ReadOnlyMemory<byte> _body;

    private PreparedBodyResult(int statusCode, string contentType, ReadOnlyMemory<byte> body)
    {
        _statusCode = statusCode;
        _contentType = contentType;
        _body = body;
    }

    /// <summary>Prepared UTF-8 JSON, status 200, as <c>application/json</c> or the JSON media type given.</summary>
    public static PreparedBodyResult Json(ReadOnlyMemory<byte> utf8Json, string contentType = JsonContentType) => new(StatusCodes.Status200OK, contentType, utf8Json);

    public static PreparedBodyResult PlainText(int statusCode, string text) => new(statusCode, PlainTextContentType, Utf8.GetBytes(text));

    /// <summary>A text/plain answer from UTF-8 bytes prepared once.</summary>
    public static PreparedBodyResult PlainText(int statusCode, ReadOnlyMemory<byte> utf8Text) => new(statusCode, PlainTextContentType, utf8Text);

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var response = http.Response;
        response.StatusCode = _statusCode;
        AnxApiResponseHeaders.Apply(response);
        response.ContentType = _contentType;
        response.ContentLength = _body.Length;
        return HttpMethods.IsHead(http.Request.Method) || _body.IsEmpty
            ? Task.CompletedTask
            : response.Body.WriteAsync(_body, http.RequestAborted).AsTask();
    }
}
