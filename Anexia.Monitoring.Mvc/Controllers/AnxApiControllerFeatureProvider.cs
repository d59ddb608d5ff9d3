using System.Reflection;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Mvc.Controllers;

namespace Anexia.Monitoring.Mvc.Controllers;

/// <summary>
/// Adds <see cref="AnxApiController"/> to the host's controllers. MVC discovers only public controller types in its
/// application parts; the controller is internal (it is no API of this library), so it is added here, once, whatever
/// parts the host has.
/// </summary>
internal sealed class AnxApiControllerFeatureProvider : IApplicationFeatureProvider<ControllerFeature>
{
    public void PopulateFeature(IEnumerable<ApplicationPart> parts, ControllerFeature feature)
    {
        ArgumentNullException.ThrowIfNull(feature);
        var controller = typeof(AnxApiController).GetTypeInfo();
        if (!feature.Controllers.Contains(controller))
        {
            feature.Controllers.Add(controller);
        }
    }
}
