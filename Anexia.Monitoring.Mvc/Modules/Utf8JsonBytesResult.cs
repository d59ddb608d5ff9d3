using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>Writes prepared UTF-8 JSON as it is: <c>application/json</c>, no formatter, no host JSON options.</summary>
internal sealed class Utf8JsonBytesResult(byte[] body) : IActionResult
{
    public const string ContentType = "application/json";

    public Task ExecuteResultAsync(ActionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var response = context.HttpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = ContentType;
        response.ContentLength = body.Length;
        return HttpMethods.IsHead(context.HttpContext.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(body, context.HttpContext.RequestAborted).AsTask();
    }
}
