using System.Reflection;
using System.Runtime.Versioning;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Tests.Hosting;

/// <summary>
/// What users rely on beyond behaviour: the build under test, one version everywhere, stable log event ids and a
/// configuration reference that names every setting as the code spells it.
/// </summary>
[TestFixture]
public sealed partial class ProjectDisciplineTests
{
    private static readonly Assembly Library = typeof(AnxMonitoringOptions).Assembly;

    [Test]
    public void TheLibraryBuildUnderTest_IsTheOneForTheTestsOwnFramework()
    {
        var library = TargetFramework(Library);
        var tests = TargetFramework(typeof(ProjectDisciplineTests).Assembly);

        Assert.That(library, Is.Not.Null.And.EqualTo(tests), "the net8.0 leg of the suite tests the library's net8.0 build");
    }

    [Test]
    public void TheRuntimeUnderTest_IsTheTargetFrameworksOwn_WhenTheRunCarriesIt()
    {
        var targetMajor = TargetFramework(typeof(ProjectDisciplineTests).Assembly)!.Version.Major;
        var runtimeFolder = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var selfContained = string.Equals(
            Path.TrimEndingDirectorySeparator(runtimeFolder ?? ""), Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory), StringComparison.Ordinal);

        // build/test runs the net8.0 leg self-contained, on .NET 8 itself; a plain `dotnet test` may roll it forward.
        Assert.That(Environment.Version.Major, selfContained ? Is.EqualTo(targetMajor) : Is.GreaterThanOrEqualTo(targetMajor),
            $"runtime {Environment.Version} from {runtimeFolder}");
    }

    [Test]
    public void Version_IsSetOnce_AndIsTheNewestReleaseOfTheChangelog()
    {
        var props = XDocument.Parse(RepositoryFiles.Read("Directory.Build.props"));
        var versionPrefix = props.Descendants("VersionPrefix").Single().Value;
        var newestRelease = ReleaseHeading().Match(RepositoryFiles.Read("CHANGELOG.md"));

        Assert.Multiple(() =>
        {
            Assert.That(newestRelease.Success, Is.True, "CHANGELOG.md has a release section (## [x.y.z] - date)");
            Assert.That(newestRelease.Groups[1].Value, Is.EqualTo(versionPrefix), "CHANGELOG.md's newest release");
            Assert.That(Library.GetName().Version?.ToString(3), Is.EqualTo(versionPrefix), "the assembly version");
        });
    }

    [Test]
    public void LogEvents_HaveUniqueExplicitIds_AndAreTheOnesTheConfigurationReferenceLists()
    {
        var events = Library.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
            .OfType<LoggerMessageAttribute>()
            .Select(a => $"{a.EventId} {a.EventName} {a.Level}")
            .ToList();
        var documented = LogEventRow().Matches(RepositoryFiles.Read("docs/configuration.md"))
            .Select(m => $"{m.Groups[1].Value} {m.Groups[2].Value} {m.Groups[3].Value}")
            .ToList();

        Assert.Multiple(() =>
        {
            Assert.That(events, Is.Not.Empty);
            Assert.That(events.Select(e => e.Split(' ')[0]), Is.Unique, "event ids");
            Assert.That(events.Select(e => e.Split(' ')[1]), Is.Unique, "event names");
            Assert.That(events, Has.None.StartsWith("0 ").And.None.StartsWith("-1 "), "every event has an explicit id");
            Assert.That(documented, Is.EquivalentTo(events), "docs/configuration.md's log event table");
        });
    }

    [Test]
    public void ConfigurationReference_ListsEverySetting_WithItsFlatKeyAndDefault()
    {
        var settings = typeof(AnxMonitoringOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance);
        var rows = SettingRow().Matches(RepositoryFiles.Read("docs/configuration.md"))
            .ToDictionary(m => m.Groups[1].Value, m => (FlatKey: m.Groups[2].Value, Default: m.Groups[3].Value.Trim()));
        var defaults = new AnxMonitoringOptions();

        Assert.Multiple(() =>
        {
            foreach (var setting in settings)
            {
                if (!rows.TryGetValue(setting.Name, out var row))
                {
                    Assert.Fail($"docs/configuration.md has no row for {setting.Name}");
                    continue;
                }

                Assert.That(row.FlatKey, Is.EqualTo(Configuration.AnxMonitoringConfiguration.FlatKeyOf(setting.Name)), $"{setting.Name}'s flat key");
                Assert.That(row.Default, DocumentedDefault(setting.GetValue(defaults)), $"{setting.Name}'s default");
            }
        });
    }

    [Test]
    public void Documentation_RelativeLinks_PointAtFilesAndHeadingsThatExist()
    {
        var pages = new[] { "README.md", "CHANGELOG.md" }
            .Concat(Directory.GetFiles(RepositoryFiles.PathOf("docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)))
            .ToList();
        var broken = new List<string>();
        foreach (var page in pages)
        {
            var folder = Path.GetDirectoryName(RepositoryFiles.PathOf(page))!;
            foreach (Match link in MarkdownLink().Matches(RepositoryFiles.Read(page)))
            {
                var target = link.Groups[1].Value;
                var hash = target.IndexOf('#', StringComparison.Ordinal);
                var file = hash < 0 ? target : target[..hash];
                var anchor = hash < 0 ? null : target[(hash + 1)..];
                var path = file.Length == 0 ? RepositoryFiles.PathOf(page) : Path.GetFullPath(Path.Combine(folder, file));
                if (!File.Exists(path) && !Directory.Exists(path))
                {
                    broken.Add($"{page}: {target} (no such file)");
                }
                else if (anchor is not null && !Headings(File.ReadAllText(path)).Contains(anchor))
                {
                    broken.Add($"{page}: {target} (no such heading)");
                }
            }
        }

        Assert.That(pages, Has.Count.GreaterThan(8));
        Assert.That(broken, Is.Empty);
    }

    [Test]
    public void Readme_LinksEveryDocumentationPage()
    {
        var readme = RepositoryFiles.Read("README.md");
        var pages = Directory.GetFiles(RepositoryFiles.PathOf("docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f));

        Assert.That(pages.Where(page => !readme.Contains($"]({page}", StringComparison.Ordinal)), Is.Empty);
    }

    /// <summary>The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces as hyphens.</summary>
    private static HashSet<string> Headings(string markdown) =>
        HeadingLine().Matches(markdown)
            .Select(m => string.Concat(m.Groups[1].Value.Trim().ToLowerInvariant()
                .Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_'))
                .Replace(' ', '-'))
            .ToHashSet();

    /// <summary>
    /// How the reference writes a default: a literal in backticks (`true`, `16`, `00:00:10`); an empty list or an
    /// unset value in words ("none", "off", "the public NuGet feed").
    /// </summary>
    private static NUnit.Framework.Constraints.IResolveConstraint DocumentedDefault(object? value) => value switch
    {
        bool flag => Is.EqualTo(flag ? "`true`" : "`false`"),
        TimeSpan span => Is.EqualTo($"`{span:c}`"),
        int number => Is.EqualTo($"`{number}`"),
        long number => Is.EqualTo($"`{number}`"),
        string text => Is.EqualTo($"`{text}`"),
        null or System.Collections.ICollection { Count: 0 } => Does.Not.Contain("`").And.Not.Empty,
        _ => throw new NotSupportedException($"no documented form for a default of type {value.GetType()}"),
    };

    private static FrameworkName? TargetFramework(Assembly assembly) =>
        assembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName is { } name ? new FrameworkName(name) : null;

    [GeneratedRegex(@"\]\((?!https?://|mailto:)([^)\s]+)\)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"^#{1,6} (.+)$", RegexOptions.Multiline)]
    private static partial Regex HeadingLine();

    [GeneratedRegex(@"^## \[(\d+\.\d+\.\d+[^\]]*)\] - \d{4}-\d{2}-\d{2}", RegexOptions.Multiline)]
    private static partial Regex ReleaseHeading();

    [GeneratedRegex(@"^\| (\d+) \| `(\w+)` \| (\w+) \|", RegexOptions.Multiline)]
    private static partial Regex LogEventRow();

    [GeneratedRegex(@"^\| `(\w+)` \| `(ANX_MONITORING_\w+)` \| ([^|]+) \|", RegexOptions.Multiline)]
    private static partial Regex SettingRow();
}
