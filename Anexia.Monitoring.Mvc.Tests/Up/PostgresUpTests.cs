using System.Diagnostics;
using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Up;

/// <summary>
/// <c>up</c> against a real PostgreSQL server that goes down and comes back, hangs, and is flooded.
/// The server is started by the fixture's own set-up; under CI these tests never skip.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PostgresUpTests
{
    private const int PoolSize = 10;
    // Every request that finds no run in flight runs the checks (no reuse of a finished run), so each call
    // below sees the server as it is at that moment and the flood proves sharing of runs in flight alone.
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["AnxMonitoring:CheckTimeout"] = "00:00:03",
        ["AnxMonitoring:UpCacheLifetime"] = "00:00:00",
    };

    private PostgresServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await PostgresServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// Every test starts from a server that answers and from empty client pools, whatever the test before it did to
    /// the server, so that the tests run in any order.
    /// </summary>
    [SetUp]
    public async Task ServerAnswers()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await _server.QueryAsync("select 1");
    }

    private Task<MonitoringTestHost> StartHostAsync(Action<IServiceCollection>? more = null) =>
        MonitoringTestHost.StartAsync(Settings, withIdentityDatabase: false, configureServices: b =>
        {
            // The driver's own connect timeout (15 s) is left at its default on purpose.
            b.Services.AddDbContext<PostgresIdentityContext>(o => o.UseNpgsql(_server.ConnectionString(PoolSize)));
            b.Services.AddIdentityCore<IdentityUser>().AddEntityFrameworkStores<PostgresIdentityContext>();
            more?.Invoke(b.Services);
        });

    private static async Task EnsureSchemaAsync(MonitoringTestHost host)
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<PostgresIdentityContext>().Database.EnsureCreatedAsync();
    }

    private static async Task<(HttpStatusCode Status, string Body, TimeSpan Took)> UpAsync(MonitoringTestHost host)
    {
        var watch = Stopwatch.StartNew();
        using var response = await host.GetUpAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), watch.Elapsed);
    }

    [Test]
    public async Task Up_WithIdentityOnPostgres_ReturnsOk()
    {
        await using var host = await StartHostAsync();
        await EnsureSchemaAsync(host);

        var (status, body, _) = await UpAsync(host);

        Assert.That((status, body), Is.EqualTo((HttpStatusCode.OK, "OK")));
    }

    [Test]
    public async Task Up_WhenServerStopsAndStartsAgain_ReportsErrorsThenOkWithoutRestartingTheApp()
    {
        await using var host = await StartHostAsync();
        await EnsureSchemaAsync(host);
        Assert.That((await UpAsync(host)).Body, Is.EqualTo("OK"));

        await _server.StopServerAsync();
        try
        {
            var (status, body, took) = await UpAsync(host);

            Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
            var lines = body.Split('\n');
            Assert.That(lines, Has.Length.EqualTo(2), body);
            Assert.That(lines[0], Does.StartWith("ERROR: PostgresIdentityContext database connection "));
            Assert.That(lines[1], Does.StartWith("ERROR: PostgresIdentityContext users query "));
            Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(3 + 10)), "within the check time limit, with room for a slow machine");
        }
        finally
        {
            await _server.StartServerAsync();
        }

        await ModulesHost.WaitUntilAsync(() => UpAsync(host).GetAwaiter().GetResult().Body == "OK");
    }

    [Test]
    public async Task Up_WhenServerAcceptsButNeverAnswers_TimesOutWithinTheCheckLimit()
    {
        await using var host = await StartHostAsync();
        await EnsureSchemaAsync(host);
        Npgsql.NpgsqlConnection.ClearAllPools();

        await _server.SignalAsync("STOP");
        try
        {
            var (status, body, took) = await UpAsync(host);

            Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(body, Is.EqualTo("ERROR: PostgresIdentityContext database connection timed out\nERROR: PostgresIdentityContext users query timed out"));
            Assert.That(took, Is.LessThan(TimeSpan.FromSeconds(15)), "not the driver's 15 s connect timeout");
        }
        finally
        {
            await _server.SignalAsync("CONT");
        }

        await ModulesHost.WaitUntilAsync(() => UpAsync(host).GetAwaiter().GetResult().Body == "OK");
    }

    [Test]
    public async Task Up_Flood_StaysWithinThePoolAndSharesCheckRuns()
    {
        var runs = 0;
        await using var host = await StartHostAsync();
        await EnsureSchemaAsync(host);
        host.Events.Subscribe<MonitorUpCheck>("counter", async (_, ct) =>
        {
            Interlocked.Increment(ref runs);
            await Task.Delay(20, ct);
        });

        var maxConnections = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var count = int.Parse(await _server.QueryAsync(
                    $"select count(*) from pg_stat_activity where datname = '{PostgresServer.Database}' and pid <> pg_backend_pid()"), System.Globalization.CultureInfo.InvariantCulture);
                maxConnections = Math.Max(maxConnections, count);
                await Task.Delay(50);
            }
        });

        using var gate = new SemaphoreSlim(100);
        var statuses = await Task.WhenAll(Enumerable.Range(0, 1000).Select(async _ =>
        {
            await gate.WaitAsync();
            try
            {
                using var response = await host.GetUpAsync();
                return response.StatusCode;
            }
            finally
            {
                gate.Release();
            }
        })).WaitAsync(TimeSpan.FromMinutes(3));
        await sampling.CancelAsync();
        await sampler;

        Assert.That(statuses, Has.All.EqualTo(HttpStatusCode.OK));
        Assert.That(maxConnections, Is.LessThanOrEqualTo(PoolSize), "open connections never exceed the pool");
        Assert.That(runs, Is.GreaterThan(0).And.LessThan(1000), "concurrent requests share check runs");
        TestContext.Progress.WriteLine($"1000 up calls, 100 concurrent: {runs} check runs, at most {maxConnections} connections");
    }
}
