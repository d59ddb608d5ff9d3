using System.Net;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Up;

/// <summary>The built-in database checks: one connection check per DbContext, one users query per Identity context.</summary>
[TestFixture]
public sealed class DatabaseChecksTests
{
    private static async Task<(HttpStatusCode Status, string Body)> ReadAsync(HttpResponseMessage response)
    {
        using (response)
        {
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    [Test]
    public void FindIdentityUserType_ForIdentityContext_ReturnsUserType() =>
        Assert.That(DbContextAccessor.FindIdentityUserType(typeof(TestIdentityContext)), Is.EqualTo(typeof(IdentityUser)));

    [Test]
    public void FindIdentityUserType_ForPlainContext_ReturnsNull() =>
        Assert.That(DbContextAccessor.FindIdentityUserType(typeof(PlainContext)), Is.Null);

    [Test]
    public async Task Up_WhenDatabaseFileCannotBeOpened_ReportsConnectionAndUsersErrors()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            withIdentityDatabase: false,
            configureServices: b =>
            {
                b.Services.AddDbContext<TestIdentityContext>(o => o.UseSqlite("Data Source=/nonexistent-dir/x.db;Mode=ReadOnly"));
            });

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
        var lines = body.Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("ERROR: TestIdentityContext database connection failed: "));
        Assert.That(lines[1], Does.StartWith("ERROR: TestIdentityContext users query failed: "));
    }

    [Test]
    public async Task Up_WhenUsersTableIsMissing_ReportsUsersQueryError()
    {
        var path = Path.Combine(Path.GetTempPath(), $"anx-empty-{Guid.NewGuid():N}.db");
        try
        {
            await using var host = await MonitoringTestHost.StartAsync(
                withIdentityDatabase: false,
                configureServices: b => b.Services.AddDbContext<TestIdentityContext>(o => o.UseSqlite($"Data Source={path};Pooling=False")));

            var (status, body) = await ReadAsync(await host.GetUpAsync());

            Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
            Assert.That(body, Does.StartWith("ERROR: TestIdentityContext users query failed: ").And.Contain("AspNetUsers"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public async Task Up_WithBuiltInChecksSwitchedOff_IgnoresBrokenDatabase()
    {
        var settings = new Dictionary<string, string?>
        {
            ["AnxMonitoring:TestDbConnections"] = "false",
            ["AnxMonitoring:TestQueryUsers"] = "false",
        };
        await using var host = await MonitoringTestHost.StartAsync(
            settings,
            withIdentityDatabase: false,
            configureServices: b => b.Services.AddDbContext<TestIdentityContext>(o => o.UseSqlite("Data Source=/nonexistent-dir/x.db;Mode=ReadOnly")));

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That((status, body), Is.EqualTo((HttpStatusCode.OK, "OK")));
    }

    [Test]
    public async Task Up_WithOnlyUsersQuerySwitchedOff_StillChecksTheConnection()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            new Dictionary<string, string?> { ["ANX_MONITORING_TEST_QUERY_USERS"] = "False" },
            withIdentityDatabase: false,
            configureServices: b => b.Services.AddDbContext<TestIdentityContext>(o => o.UseSqlite("Data Source=/nonexistent-dir/x.db;Mode=ReadOnly")));

        var (_, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That(body, Does.StartWith("ERROR: TestIdentityContext database connection failed: "));
        Assert.That(body, Does.Not.Contain("users query"));
    }

    [Test]
    public async Task Up_FindsContextsRegisteredAfterAddAnxMonitoringByPoolAndFactory()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            withIdentityDatabase: false,
            configureServices: b =>
            {
                // Registered after AddAnxMonitoring, one pooled and one through a factory only.
                b.Services.AddDbContextPool<PlainContext>(o => o.UseSqlite("Data Source=/nonexistent-dir/pool.db;Mode=ReadOnly"));
                b.Services.AddPooledDbContextFactory<TestIdentityContext>(o => o.UseSqlite("Data Source=/nonexistent-dir/factory.db;Mode=ReadOnly"));
            });

        var (_, body) = await ReadAsync(await host.GetUpAsync());

        var lines = body.Split('\n');
        Assert.That(lines, Has.Length.EqualTo(3), body);
        Assert.That(lines[0], Does.StartWith("ERROR: PlainContext database connection failed: "));
        Assert.That(lines[1], Does.StartWith("ERROR: TestIdentityContext database connection failed: "));
        Assert.That(lines[2], Does.StartWith("ERROR: TestIdentityContext users query failed: "));
    }

    [Test]
    public async Task Up_WithHealthyFactoryContext_ReturnsOk()
    {
        await using var host = await MonitoringTestHost.StartAsync(
            configureServices: b => b.Services.AddDbContextFactory<PlainContext>(o => o.UseSqlite("Data Source=:memory:")));

        var (status, body) = await ReadAsync(await host.GetUpAsync());

        Assert.That((status, body), Is.EqualTo((HttpStatusCode.OK, "OK")));
    }
}
