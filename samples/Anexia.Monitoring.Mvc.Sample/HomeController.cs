using Microsoft.AspNetCore.Mvc;

namespace Anexia.Monitoring.Mvc.Sample;

/// <summary>The sample application's own page, beside the monitoring endpoints.</summary>
[Route("")]
public sealed class HomeController : ControllerBase
{
    /// <summary>Says what the sample is.</summary>
    /// <returns>A short text.</returns>
    [HttpGet]
    public string Index() => "Anexia.Monitoring.Mvc sample: try /anxapi/v1/up?access_token=... and /anxapi/v1/modules?access_token=...";
}
