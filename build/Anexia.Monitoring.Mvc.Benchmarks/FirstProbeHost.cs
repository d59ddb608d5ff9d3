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
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace Anexia.Monitoring.Mvc.Benchmarks;

/// <summary>
/// The host build/first-probe starts afresh for each measurement, shaped like a project made by
/// <c>dotnet new mvc --auth Individual</c>: ASP.NET Core Identity on a SQLite file that exists before the start (the
/// template ships its app.db; nothing touches the database until the first request), controllers with views and the
/// conventional route, and the library added as docs/getting-started.md says. Settings come from the environment
/// (<c>ANX_MONITORING_*</c>). Prints <c>listening: &lt;address&gt;</c> once started. <c>/bench/ping</c> is a bare MVC
/// action, the baseline: what any first request to a controller costs in this host, with or without this library.
/// Usage: <c>first-probe-host &lt;database file&gt; [create]</c>; <c>create</c> makes the database and exits.
/// </summary>
internal static class FirstProbeHost
{
    public static async Task<int> RunAsync(string[] args)
    {
        var database = args[0];
        var builder = WebApplication.CreateBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Services.AddDbContext<ShopContext>(o => o.UseSqlite($"Data Source={database}"));
        builder.Services.AddIdentityCore<IdentityUser>().AddEntityFrameworkStores<ShopContext>();
        builder.Services.AddControllersWithViews().AddAnxMonitoring(builder.Configuration);
        var app = builder.Build();

        if (args.Contains("create"))
        {
            using var scope = app.Services.CreateScope();
            await scope.ServiceProvider.GetRequiredService<ShopContext>().Database.EnsureCreatedAsync();
            return 0;
        }

        app.MapControllerRoute("default", "{controller=Home}/{action=Index}/{id?}");
        app.Lifetime.ApplicationStarted.Register(() =>
            Console.WriteLine("listening: " + app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single()));
        await app.RunAsync();
        return 0;
    }

    private sealed class ShopContext(DbContextOptions<ShopContext> options) : IdentityDbContext(options);
}

/// <summary>A bare MVC action answering <c>OK</c>: the first-probe baseline.</summary>
[ApiController]
[Route("bench/ping")]
public sealed class PingController : ControllerBase
{
    /// <summary>Answers <c>OK</c>.</summary>
    [HttpGet]
    public string Get() => "OK";
}
