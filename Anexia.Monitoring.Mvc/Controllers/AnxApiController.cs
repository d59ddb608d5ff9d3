using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Controllers;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Controllers;

/// <summary>
/// The Anexia monitoring endpoints <c>/anxapi/v1/modules</c>, <c>/anxapi/v1/up</c> and <c>/anxapi/v1/sbom</c> (each
/// also with a trailing slash). Protected by the access token alone: anonymous to ASP.NET Core authorization, so a host's
/// fallback policy or global authorize filter does not lock the dashboards out. Internal: added to a host's
/// controllers by <c>AddAnxMonitoring</c> through <see cref="AnxApiControllerFeatureProvider"/>.
/// </summary>
[AllowAnonymous]
[Route("anxapi/v1")]
[ApiExplorerSettings(IgnoreApi = true)]
[ServiceFilter(typeof(AccessTokenFilter), IsReusable = true)]
internal sealed class AnxApiController : ControllerBase
{
    /// <summary>
    /// Lists the runtime and every package the application runs with its installed and newest versions and
    /// their licences, as <c>application/json</c> with the contract's snake_case keys.
    /// </summary>
    /// <returns>The answer for the request's method.</returns>
    [Route("modules")]
    public Task<IActionResult> Modules() =>
        ReadAsync(static (catalog, aborted) => catalog.GetReportAsync(aborted), PreparedBodyResult.JsonContentType);

    /// <summary>
    /// A CycloneDX 1.6 SBOM of what the application runs (<c>application/vnd.cyclonedx+json</c>), from the same data as
    /// <c>modules</c>.
    /// </summary>
    /// <returns>The answer for the request's method.</returns>
    [Route("sbom")]
    public Task<IActionResult> Sbom() =>
        ReadAsync(static (catalog, aborted) => new ValueTask<byte[]>(catalog.GetSbomAsync(complete: false, null, aborted)), SbomJson.ContentType);

    /// <summary>
    /// Runs every <see cref="MonitorUpCheck"/> subscriber and answers <c>OK</c> (200), <c>WARNING:</c> lines
    /// (200) or <c>WARNING:</c> and <c>ERROR:</c> lines (500) as text/plain.
    /// </summary>
    /// <returns>The answer for the request's method.</returns>
    [Route("up")]
    public IActionResult Up()
    {
        if (!IsRead(out var other))
        {
            return other;
        }

        // The action itself never waits: a run that ended (or reused) is written at once; otherwise the result waits
        // for it while it is written, so that MVC's action filters and invoker stay on their synchronous path.
        var run = HttpContext.RequestServices.GetRequiredService<UpCheckRunner>().RunAsync(HttpContext.RequestAborted);
        return run.IsCompletedSuccessfully ? UpResult(run.Result) : new PendingUpResult(run);
    }

    private static PreparedBodyResult UpResult(UpReport report) => PreparedBodyResult.PlainText(report.StatusCode, report.Utf8Body);

    /// <summary>The answer of a run still going when the action returned, written when it ends.</summary>
    private sealed class PendingUpResult(Task<UpReport> run) : IActionResult
    {
        public async Task ExecuteResultAsync(ActionContext context)
        {
            UpReport report;
            try
            {
                report = await run;
            }
            catch (OperationCanceledException) when (context.HttpContext.RequestAborted.IsCancellationRequested)
            {
                // The caller went away; nobody reads this answer.
                return;
            }

            await UpResult(report).ExecuteResultAsync(context);
        }
    }

    /// <summary>The action of this controller that <paramref name="endpoint"/> leads to, or null for any other endpoint.</summary>
    internal static ControllerActionDescriptor? ActionOf(Endpoint endpoint) =>
        endpoint.Metadata.GetMetadata<ControllerActionDescriptor>() is { } action && action.ControllerTypeInfo.AsType() == typeof(AnxApiController)
            ? action
            : null;

    /// <summary>The JSON answer <paramref name="answer"/> gives for GET and HEAD; nothing when the caller went away.</summary>
    private async Task<IActionResult> ReadAsync(Func<ModulesCatalog, CancellationToken, ValueTask<byte[]>> answer, string contentType)
    {
        if (!IsRead(out var other))
        {
            return other;
        }

        var aborted = HttpContext.RequestAborted;
        try
        {
            return PreparedBodyResult.Json(await answer(HttpContext.RequestServices.GetRequiredService<ModulesCatalog>(), aborted), contentType);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return new EmptyResult();
        }
    }

    /// <summary>
    /// True for GET and HEAD. Otherwise <paramref name="answer"/> is the CORS preflight answer for OPTIONS
    /// or 405 for any other method.
    /// </summary>
    private bool IsRead(out IActionResult answer)
    {
        var method = Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsHead(method))
        {
            answer = null!;
            return true;
        }

        answer = HttpMethods.IsOptions(method) ? Preflight : MethodNotAllowed;
        return false;
    }

    private static readonly PreparedBodyResult Preflight = PreparedBodyResult.PlainText(StatusCodes.Status200OK, string.Empty);

    private static readonly PreparedBodyResult MethodNotAllowed =
        PreparedBodyResult.PlainText(StatusCodes.Status405MethodNotAllowed, "405 Method Not Allowed");
}
