using NuGet.Versioning;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>One version of a package as a source's registration data describes it.</summary>
/// <param name="Version">The version.</param>
/// <param name="Listed">False for an unlisted version, which never counts as newest.</param>
/// <param name="Licences">The SPDX expression, else the licence URL; empty when the entry declares neither.</param>
internal sealed record PackageVersionEntry(NuGetVersion Version, bool Listed, IReadOnlyList<string> Licences);
