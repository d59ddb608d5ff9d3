using System.Net;
using Anexia.Monitoring.Mvc.Configuration;
using Anexia.Monitoring.Mvc.Controllers;
using Anexia.Monitoring.Mvc.Hosting;
using Anexia.Monitoring.Mvc.Modules;
using Anexia.Monitoring.Mvc.Modules.Registry;
using Anexia.Monitoring.Mvc.Security;
using Anexia.Monitoring.Mvc.Telemetry;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// The host build/load puts under wrk: an application as the getting-started page builds it (Identity on a SQLite
/// file, created at start; the library with its settings from the environment, <c>ANX_MONITORING_*</c>), with a check
/// of each kind a host adds (an <see cref="IMonitorUpCheckHandler"/> class, a <see cref="MonitorUpCheck"/> subscriber,
/// an ASP.NET Core health check), plus the load's baselines: <c>/bench/ping</c>, a bare MVC action, and
/// <c>/bench/static/{size}</c>, a static answer of that many bytes. Prints <c>listening: &lt;address&gt;</c> once started.
/// Usage: <c>load-host &lt;database file&gt;</c>.
/// </summary>
internal static class LoadHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDbContext<LoadContext>(o => o.UseSqlite($"Data Source={args[0]}"));
        builder.Services.AddIdentityCore<IdentityUser>().AddEntityFrameworkStores<LoadContext>();
        builder.Services.AddControllers().AddAnxMonitoring(builder.Configuration);
        builder.Services.AddMonitorUpCheck<ClockCheck>();
        builder.Services.AddHealthChecks().AddCheck("memory", () => Environment.WorkingSet < 1L << 30
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Degraded("more than 1 GiB in use"));
        var app = builder.Build();
        using (var scope = app.Services.CreateScope())
        {
            await scope.ServiceProvider.GetRequiredService<LoadContext>().Database.EnsureCreatedAsync();
        }

        app.Services.GetRequiredService<IEventAggregator>().Subscribe<MonitorUpCheck>("queue", (_, _) => Task.CompletedTask);
        var answers = new System.Collections.Concurrent.ConcurrentDictionary<int, byte[]>();
        app.MapGet("/bench/static/{size:int:range(0,10000000)}", (int size) =>
            Results.Bytes(answers.GetOrAdd(size, n => System.Text.Encoding.ASCII.GetBytes(new string(' ', n))), "application/json"));
        app.MapControllers();
        app.Lifetime.ApplicationStarted.Register(() =>
            Console.WriteLine("listening: " + app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
        await app.RunAsync();
        return 0;
    }

    private sealed class LoadContext(DbContextOptions<LoadContext> options) : IdentityDbContext(options);

    /// <summary>A class-based check that costs what a cheap real one does.</summary>
    private sealed class ClockCheck : IMonitorUpCheckHandler
    {
        public Task CheckAsync(MonitorUpCheck check, CancellationToken cancellationToken) =>
            DateTimeOffset.UtcNow.Year < 2000 ? throw new MonitorUpWarningException("the system clock looks wrong") : Task.CompletedTask;
    }
}
