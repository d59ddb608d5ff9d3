using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>
/// A real ASP.NET Core host on <see cref="TestServer"/>, set up as the README tells users:
/// <c>AddControllers().AddAnxMonitoring(builder.Configuration)</c> and <c>MapControllers()</c>, by default with
/// an ASP.NET Core Identity context on a SQLite file of its own. DI mistakes fail the build of the host
/// (ValidateOnBuild, ValidateScopes).
/// </summary>
internal sealed class MonitoringTestHost : IAsyncDisposable
{
    public const string Token = "test-token-0123456789";

    /// <summary>A package source on loopback where nothing listens: no test host ever asks the public feed.</summary>
    public const string UnreachableSource = "http://127.0.0.1:9/v3/index.json";

    private readonly WebApplication _app;
    private readonly string? _databasePath;

    private MonitoringTestHost(WebApplication app, string? databasePath, CapturingLoggerProvider logs)
    {
        _app = app;
        _databasePath = databasePath;
        Logs = logs;
        Client = app.GetTestClient();
    }

    public HttpClient Client { get; }

    public CapturingLoggerProvider Logs { get; }

    public IServiceProvider Services => _app.Services;

    public IEventAggregator Events => _app.Services.GetRequiredService<IEventAggregator>();

    /// <summary>Starts a host.</summary>
    /// <param name="settings">
    /// Configuration values; <c>AnxMonitoring:AccessToken</c> defaults to <see cref="Token"/> and
    /// <c>AnxMonitoring:UpWarmUp</c> to false. A null value removes the key, so that the library's default applies.
    /// </param>
    /// <param name="withIdentityDatabase">Whether to register an Identity context on a fresh SQLite file.</param>
    /// <param name="configureServices">More services, after the README's lines.</param>
    /// <param name="configureApp">More app set-up, before <c>MapControllers</c>.</param>
    /// <param name="addMonitoring">Replaces the README's <c>AddControllers().AddAnxMonitoring(...)</c> line.</param>
    /// <param name="mapEndpoints">Replaces the README's <c>app.MapControllers()</c> line.</param>
    public static async Task<MonitoringTestHost> StartAsync(
        IDictionary<string, string?>? settings = null,
        bool withIdentityDatabase = true,
        Action<WebApplicationBuilder>? configureServices = null,
        Action<WebApplication>? configureApp = null,
        Action<WebApplicationBuilder>? addMonitoring = null,
        Action<WebApplication>? mapEndpoints = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseTestServer();
        builder.Host.UseDefaultServiceProvider(options =>
        {
            options.ValidateOnBuild = true;
            options.ValidateScopes = true;
        });

        var values = new Dictionary<string, string?>
        {
            ["AnxMonitoring:AccessToken"] = Token,
            ["AnxMonitoring:PackageSources:0"] = UnreachableSource,
            // Nor the official .NET release metadata: the runtime status tests serve their own.
            ["AnxMonitoring:RuntimeReleasesIndex"] = string.Empty,
            // The run after start-up would race with the checks a test subscribes after start; the tests of the
            // warm-up itself switch it on.
            ["AnxMonitoring:UpWarmUp"] = "false",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                values.Remove(key);
            }
            else
            {
                values[key] = value;
            }
        }

        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(values);

        var logs = new CapturingLoggerProvider();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);

        string? databasePath = null;
        if (withIdentityDatabase)
        {
            databasePath = Path.Combine(Path.GetTempPath(), $"anx-monitoring-test-{Guid.NewGuid():N}.db");
            builder.Services.AddDbContext<TestIdentityContext>(options => options.UseSqlite($"Data Source={databasePath};Pooling=False"));
            builder.Services.AddIdentityCore<IdentityUser>().AddEntityFrameworkStores<TestIdentityContext>();
        }

        if (addMonitoring is null)
        {
            builder.Services.AddControllers().AddAnxMonitoring(builder.Configuration);
        }
        else
        {
            addMonitoring(builder);
        }

        configureServices?.Invoke(builder);

        var app = builder.Build();
        if (withIdentityDatabase)
        {
            await using var scope = app.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<TestIdentityContext>().Database.EnsureCreatedAsync();
        }

        configureApp?.Invoke(app);
        if (mapEndpoints is null)
        {
            app.MapControllers();
        }
        else
        {
            mapEndpoints(app);
        }

        try
        {
            await app.StartAsync();
        }
        catch
        {
            // A host that does not start (a test of bad settings) leaves nothing running behind.
            await app.DisposeAsync();
            throw;
        }

        return new MonitoringTestHost(app, databasePath, logs);
    }

    public static string UpUrl(string? token = Token, bool trailingSlash = false) =>
        "/anxapi/v1/up" + (trailingSlash ? "/" : string.Empty) + (token is null ? string.Empty : "?access_token=" + Uri.EscapeDataString(token));

    public Task<HttpResponseMessage> GetModulesAsync() => Client.GetAsync("/anxapi/v1/modules?access_token=" + Token);

    public Task<HttpResponseMessage> GetUpAsync(string? token = Token, bool trailingSlash = false) =>
        Client.GetAsync(UpUrl(token, trailingSlash));

    /// <summary>
    /// GET of a path and an already escaped query of any length. Below 32 KB it goes through <see cref="Client"/>;
    /// longer ones are handed to the test server as they are, because System.Uri on .NET 8 refuses URIs over 64 KB
    /// (a client limit, not the server's) and the server must still be tested with them.
    /// </summary>
    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery)
    {
        if (pathAndQuery.Length < 32 * 1024)
        {
            return await Client.GetAsync(pathAndQuery);
        }

        var question = pathAndQuery.IndexOf('?', StringComparison.Ordinal);
        var context = await _app.GetTestServer().SendAsync(c =>
        {
            c.Request.Method = HttpMethods.Get;
            c.Request.Path = question < 0 ? pathAndQuery : pathAndQuery[..question];
            c.Request.QueryString = question < 0 ? QueryString.Empty : new QueryString(pathAndQuery[question..]);
        });

        using var body = new MemoryStream();
        await context.Response.Body.CopyToAsync(body);
        var response = new HttpResponseMessage((System.Net.HttpStatusCode)context.Response.StatusCode)
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        foreach (var header in context.Response.Headers)
        {
            if (!response.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value))
            {
                response.Content.Headers.TryAddWithoutValidation(header.Key, (IEnumerable<string?>)header.Value);
            }
        }

        return response;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (_databasePath is not null)
        {
            SqliteConnection.ClearAllPools();
            File.Delete(_databasePath);
        }
    }
}
