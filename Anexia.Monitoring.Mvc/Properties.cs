using Microsoft.AspNetCore.Mvc.ApplicationParts;

// The controller joins a host only through AddAnxMonitoring, never by MVC's discovery of referenced
// assemblies: a host that references the package without calling it gets no half-configured endpoints.
[assembly: ProvideApplicationPartFactory(typeof(NullApplicationPartFactory))]
