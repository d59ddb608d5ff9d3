namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>A NuGet package of the running application's dependency graph, as its deps.json lists it.</summary>
internal sealed record InstalledPackage(string Name, string Version);
