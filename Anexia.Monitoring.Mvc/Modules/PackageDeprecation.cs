namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>A package version's deprecation, as its registration entry declares it.</summary>
/// <param name="Reasons">The reasons (<c>Legacy</c>, <c>CriticalBugs</c>, <c>Other</c>).</param>
/// <param name="Message">The publisher's message, if any.</param>
/// <param name="Alternative">The package id the publisher recommends instead, if any.</param>
internal sealed record PackageDeprecation(IReadOnlyList<string> Reasons, string? Message, string? Alternative);
