namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>Files of this repository, found from the test binaries upwards.</summary>
internal static class RepositoryFiles
{
    /// <summary>The folder holding Anexia.Monitoring.Mvc.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The full path of <paramref name="relativePath"/> (forward slashes) under the repository root.</summary>
    public static string PathOf(string relativePath) =>
        Path.Combine([Root, .. relativePath.Split('/')]);

    /// <summary>The text of a repository file.</summary>
    public static string Read(string relativePath) => File.ReadAllText(PathOf(relativePath));

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Anexia.Monitoring.Mvc.sln")))
            {
                return folder.FullName;
            }
        }

        throw new InvalidOperationException($"no Anexia.Monitoring.Mvc.sln above {AppContext.BaseDirectory}");
    }
}
