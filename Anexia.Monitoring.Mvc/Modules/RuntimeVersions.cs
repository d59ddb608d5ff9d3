using System.Reflection;
using Microsoft.AspNetCore.Builder;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>The versions of the runtime and of the ASP.NET Core shared framework this process runs on.</summary>
internal static class RuntimeVersions
{
    /// <summary>The package whose versions follow ASP.NET Core's: its newest is the newest ASP.NET Core.</summary>
    public const string FrameworkPackageId = "Microsoft.AspNetCore.App.Ref";

    /// <summary>The .NET runtime version, such as <c>10.0.12</c>.</summary>
    public static string Platform { get; } = Environment.Version.ToString();

    /// <summary>The ASP.NET Core shared framework version, such as <c>10.0.12</c>, read from one of its own assemblies.</summary>
    public static string Framework { get; } = ProductVersion(typeof(WebApplication).Assembly) ?? Platform;

    internal static string? ProductVersion(Assembly assembly)
    {
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return null;
        }

        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
