// Opens the produced .nupkg and .snupkg and checks that what a user of the package relies on is inside.
// Run by build/pack as a file-based program:
//   dotnet run build/package-check/CheckPackage.cs -- <nupkg> <snupkg> <version> <commit> <repository url> <frameworks> <floors>
// <floors> is "<framework>|<package id>=<version>|...;<framework>|..." (build/pack reads it from Directory.Packages.props).
// Prints one line per check and exits 1 when any fails.
using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

if (args.Length != 7)
{
    Console.Error.WriteLine("usage: CheckPackage.cs <nupkg> <snupkg> <version> <commit> <repository url> <frameworks;separated> <framework|id=version|...;...>");
    return 2;
}

var (nupkgPath, snupkgPath, version, commit, repositoryUrl) = (args[0], args[1], args[2], args[3], args[4]);
var frameworks = args[5].Split(';', StringSplitOptions.RemoveEmptyEntries);
var floors = args[6].Split(';', StringSplitOptions.RemoveEmptyEntries)
    .Select(group => group.Split('|'))
    .ToDictionary(
        parts => parts[0],
        parts => parts.Skip(1).Select(pair => pair.Split('=')).ToDictionary(pair => pair[0], pair => pair[1], StringComparer.OrdinalIgnoreCase));
const string PackageId = "Anexia.Monitoring.Mvc";
var failures = 0;

void Check(bool ok, string what)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}");
    if (!ok)
    {
        failures++;
    }
}

static byte[] Read(ZipArchive zip, string path)
{
    var entry = zip.GetEntry(path) ?? throw new FileNotFoundException($"{path} is not in the package");
    using var stream = entry.Open();
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    return copy.ToArray();
}

using var nupkg = ZipFile.OpenRead(nupkgPath);
using var snupkg = ZipFile.OpenRead(snupkgPath);

// The manifest.
var nuspec = XDocument.Load(new MemoryStream(Read(nupkg, $"{PackageId}.nuspec")));
var ns = nuspec.Root!.Name.Namespace;
var metadata = nuspec.Root.Element(ns + "metadata")!;
string Meta(string name) => metadata.Element(ns + name)?.Value ?? "";
Check(Meta("id") == PackageId, $"id is {PackageId}");
Check(Meta("version") == version, $"version is {version}");
Check(Meta("description").Length > 40, "description is set");
Check(Meta("tags").Split(' ').Contains("anexia"), "tags are set");
var license = metadata.Element(ns + "license");
Check(license?.Attribute("type")?.Value == "expression" && license.Value == "MIT", "licence is the SPDX expression MIT");
Check(Meta("readme") == "README.md", "the README is the package page");
var repository = metadata.Element(ns + "repository");
Check(repository?.Attribute("type")?.Value == "git" && repository.Attribute("url")?.Value == repositoryUrl,
    $"repository is {repositoryUrl}");
Check(repository?.Attribute("commit")?.Value == commit, $"repository commit is {commit}");
var dependencyGroups = metadata.Element(ns + "dependencies")?.Elements(ns + "group")
    .Select(g => g.Attribute("targetFramework")?.Value).ToHashSet() ?? [];
Check(frameworks.All(dependencyGroups.Contains), $"dependencies are declared for {string.Join(", ", frameworks)}");

// The dependency floors: every host on a later patch must be able to install the package, so each framework's group
// names exactly the library's direct dependencies, each at its floor ("8.0.30" means 8.0.30 or later).
foreach (var group in metadata.Element(ns + "dependencies")?.Elements(ns + "group") ?? [])
{
    var framework = group.Attribute("targetFramework")?.Value ?? "";
    var declared = group.Elements(ns + "dependency")
        .ToDictionary(d => d.Attribute("id")?.Value ?? "", d => d.Attribute("version")?.Value ?? "", StringComparer.OrdinalIgnoreCase);
    var expected = floors.GetValueOrDefault(framework) ?? [];
    var text = string.Join(", ", declared.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key} {d.Value}"));
    Check(declared.Count == expected.Count && expected.All(e => declared.GetValueOrDefault(e.Key) == e.Value),
        $"{framework}: the dependencies are the floors ({text})");
}

// The README: present, and no link a package page could not follow.
var readme = System.Text.Encoding.UTF8.GetString(Read(nupkg, "README.md"));
var relativeLinks = Regex.Matches(readme, @"\]\((?!https?://|#|mailto:)([^)\s]+)\)").Select(m => m.Groups[1].Value).ToList();
Check(readme.Contains("/anxapi/v1/up", StringComparison.Ordinal), "README.md is inside");
Check(relativeLinks.Count == 0, $"README.md has no relative links{(relativeLinks.Count > 0 ? ": " + string.Join(", ", relativeLinks) : "")}");

foreach (var framework in frameworks)
{
    try
    {
        CheckFramework(framework);
    }
    catch (FileNotFoundException missing)
    {
        Check(false, $"{framework}: {missing.Message}");
    }
}

Console.WriteLine(failures == 0 ? "package check: all passed" : $"package check: {failures} failed");
return failures == 0 ? 0 : 1;

void CheckFramework(string framework)
{
    var dll = Read(nupkg, $"lib/{framework}/{PackageId}.dll");
    using var pe = new PEReader(new MemoryStream(dll));
    var reader = pe.GetMetadataReader();
    var debugEntries = pe.ReadDebugDirectory();
    Check(debugEntries.Any(e => e.Type == DebugDirectoryEntryType.Reproducible), $"{framework}: the assembly was built deterministically");

    // Compiled against no later version than the floors declare: EF Core's assembly versions carry the patch, so a
    // library built against a later patch than it declares fails to load in a host on the declared one.
    var floorOf = floors.GetValueOrDefault(framework) ?? [];
    string? FloorFor(string assembly) => assembly switch
    {
        _ when assembly.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)
            || assembly == "Microsoft.AspNetCore.Identity.EntityFrameworkCore" => floorOf.GetValueOrDefault("Microsoft.AspNetCore.Identity.EntityFrameworkCore"),
        "Microsoft.Extensions.DependencyModel" => floorOf.GetValueOrDefault("Microsoft.Extensions.DependencyModel"),
        _ when assembly.StartsWith("NuGet.", StringComparison.Ordinal) => floorOf.GetValueOrDefault("NuGet.Protocol"),
        _ => null,
    };
    var tooNew = new List<string>();
    var compared = 0;
    foreach (var handle in reader.AssemblyReferences)
    {
        var reference = reader.GetAssemblyReference(handle);
        var name = reader.GetString(reference.Name);
        if (FloorFor(name) is not { } floor)
        {
            continue;
        }

        compared++;
        var compiledAgainst = new Version(reference.Version.Major, reference.Version.Minor, Math.Max(reference.Version.Build, 0));
        if (compiledAgainst > Version.Parse(floor))
        {
            tooNew.Add($"{name} {reference.Version} > {floor}");
        }
    }

    Check(compared > 0 && tooNew.Count == 0,
        $"{framework}: compiled against no later EF Core, Identity, DependencyModel or NuGet assembly than the floors ({compared} references)" +
        (tooNew.Count > 0 ? ": " + string.Join(", ", tooNew) : ""));

    // Every public type has its documentation (the build itself fails on an undocumented public member).
    var xml = XDocument.Load(new MemoryStream(Read(nupkg, $"lib/{framework}/{PackageId}.xml")));
    var documented = xml.Descendants("member").Select(m => m.Attribute("name")?.Value).ToHashSet();
    var publicTypes = reader.TypeDefinitions.Select(reader.GetTypeDefinition)
        .Where(t => (t.Attributes & System.Reflection.TypeAttributes.VisibilityMask) == System.Reflection.TypeAttributes.Public)
        .Select(t => $"T:{reader.GetString(t.Namespace)}.{reader.GetString(t.Name)}")
        .ToList();
    var undocumented = publicTypes.Where(t => !documented.Contains(t)).ToList();
    Check(publicTypes.Count > 0 && undocumented.Count == 0,
        $"{framework}: XML documentation covers all {publicTypes.Count} public types ({documented.Count} members documented)" +
        (undocumented.Count > 0 ? ": missing " + string.Join(", ", undocumented) : ""));

    // The symbols: the PDB that matches this assembly, with SourceLink to the packed commit.
    var codeView = debugEntries.FirstOrDefault(e => e.Type == DebugDirectoryEntryType.CodeView);
    var pdbBytes = Read(snupkg, $"lib/{framework}/{PackageId}.pdb");
    using var pdbProvider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(pdbBytes));
    var pdb = pdbProvider.GetMetadataReader();
    var pdbId = new BlobContentId(pdb.DebugMetadataHeader!.Id);
    Check(codeView.DataSize > 0 && pe.ReadCodeViewDebugDirectoryData(codeView).Guid == pdbId.Guid,
        $"{framework}: the symbol package's PDB matches the assembly");

    var sourceLinkKind = new Guid("CC110556-A091-4D38-9FEC-25AB9A351A6A");
    var sourceLink = pdb.CustomDebugInformation.Select(pdb.GetCustomDebugInformation)
        .Where(c => pdb.GetGuid(c.Kind) == sourceLinkKind)
        .Select(c => System.Text.Encoding.UTF8.GetString(pdb.GetBlobBytes(c.Value)))
        .FirstOrDefault() ?? "";
    var documents = sourceLink.Length > 0
        ? JsonDocument.Parse(sourceLink).RootElement.GetProperty("documents").EnumerateObject().Select(p => p.Value.GetString() ?? "").ToList()
        : [];
    Check(documents.Count > 0 && documents.All(url => url.Contains(commit, StringComparison.Ordinal)),
        $"{framework}: SourceLink maps the sources to commit {commit}");
    var paths = pdb.Documents.Select(d => pdb.GetString(pdb.GetDocument(d).Name)).ToList();
    Check(paths.Count > 0 && paths.All(p => p.StartsWith("/_/", StringComparison.Ordinal)),
        $"{framework}: source paths in the PDB are the build-independent /_/ form");
}
