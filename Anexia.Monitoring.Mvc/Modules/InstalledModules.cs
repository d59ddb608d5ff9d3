using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Modules;

/// <summary>
/// The application and the packages <c>modules</c> lists: what <see cref="IInstalledPackages"/> reports, minus
/// <see cref="AnxMonitoringOptions.ExcludeModules"/>, sorted by name. Read once, on the thread pool, and awaited, so a
/// request arriving during start-up waits for them without holding a thread.
/// </summary>
internal sealed partial class InstalledModules(IInstalledPackages source, IOptions<AnxMonitoringOptions> options, ILogger<InstalledModules> logger)
{
    private readonly Lazy<Task<InstalledApplication>> _application = new(() => Task.Run(() => Load(source, options.Value, logger)));

    /// <summary>The packages, in the order <c>modules</c> lists them.</summary>
    public async Task<IReadOnlyList<InstalledPackage>> GetAsync(CancellationToken cancellationToken) =>
        (await GetApplicationAsync(cancellationToken)).Packages;

    /// <summary>The application with its projects and the packages <c>modules</c> lists.</summary>
    public Task<InstalledApplication> GetApplicationAsync(CancellationToken cancellationToken) => _application.Value.WaitAsync(cancellationToken);

    private static InstalledApplication Load(IInstalledPackages source, AnxMonitoringOptions options, ILogger logger)
    {
        var installed = source.Read();
        if (installed is null)
        {
            Log.NoDependencyManifest(logger);
            return InstalledApplication.FromEntryAssembly();
        }

        var patterns = options.ExcludeModules.Select(ToRegex).ToList();
        bool Excluded(string name) => patterns.Exists(pattern => pattern.IsMatch(name));

        // An excluded package is named nowhere, not even as what another one is required by.
        return installed with
        {
            Packages = [.. installed.Packages
                .Where(p => !Excluded(p.Name))
                .Select(p => p.RequiredBy.Any(Excluded) ? p with { RequiredBy = [.. p.RequiredBy.Where(r => !Excluded(r))] } : p)
                .OrderBy(p => p.Name, StringComparer.OrdinalIgnoreCase)],
        };
    }

    private static Regex ToRegex(string pattern) =>
        new("^" + Regex.Escape(pattern.Trim()).Replace("\\*", ".*", StringComparison.Ordinal) + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));

    private static partial class Log
    {
        [LoggerMessage(EventId = 313, EventName = "NoDependencyManifest", Level = LogLevel.Warning,
            Message = "The application carries no deps.json (single-file or trimmed publish?), so /anxapi/v1/modules lists no modules; the runtime is still reported.")]
        public static partial void NoDependencyManifest(ILogger logger);
    }
}
