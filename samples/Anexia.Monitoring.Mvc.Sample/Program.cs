using Anexia.Monitoring.Mvc;
using Anexia.Monitoring.Mvc.Sample;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);

// The application's own database: ASP.NET Core Identity on a SQLite file, created on start.
builder.Services.AddDbContext<SampleDbContext>(options =>
    options.UseSqlite(builder.Configuration.GetConnectionString("Default")));
builder.Services.AddIdentityCore<IdentityUser>().AddEntityFrameworkStores<SampleDbContext>();

// The monitoring endpoints, with the token from appsettings.json (AnxMonitoring:AccessToken)
// or the environment variable ANX_MONITORING_ACCESS_TOKEN.
builder.Services.AddControllers().AddAnxMonitoring(builder.Configuration);

// A class-based custom check.
builder.Services.AddMonitorUpCheck<DiskSpaceCheck>();

// The application's own health checks: they run inside /anxapi/v1/up as well, and the library's database checks
// join the application's /health endpoint.
builder.Services.AddHealthChecks()
    .AddCheck<MemoryHealthCheck>("memory")
    .AddAnxMonitoringChecks();

// Several instances: with a Redis connection string (Sample:Redis, e.g. "127.0.0.1:6379"), the instances share their
// package lookups through it. Without one, nothing changes and no Redis is needed.
if (builder.Configuration["Sample:Redis"] is { Length: > 0 } redis)
{
    builder.Services.AddStackExchangeRedisCache(o => o.Configuration = redis);
}

// OpenTelemetry: with Sample:Telemetry=true, the library's metrics and spans go to the console exporter. A real host
// adds the same two lines (AddMeter, AddSource) to its own OpenTelemetry set-up and its own exporter.
if (builder.Configuration.GetValue<bool>("Sample:Telemetry"))
{
    builder.Services.AddOpenTelemetry()
        .WithMetrics(metrics => metrics.AddMeter("Anexia.Monitoring.Mvc").AddConsoleExporter())
        .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddSource("Anexia.Monitoring.Mvc").AddConsoleExporter());
}

var app = builder.Build();

using (var scope = app.Services.CreateScope())
{
    await scope.ServiceProvider.GetRequiredService<SampleDbContext>().Database.EnsureCreatedAsync();
}

// A delegate check subscribed to the MonitorUpCheck event, like a Django receiver of monitor_up_check.
app.Services.GetRequiredService<IEventAggregator>().Subscribe<MonitorUpCheck>("sample clock", (check, cancellationToken) =>
    DateTimeOffset.UtcNow.Year < 2000
        ? throw new MonitorUpWarningException("the system clock looks wrong")
        : Task.CompletedTask);

app.MapControllers();
app.MapHealthChecks("/health");

app.Lifetime.ApplicationStarted.Register(() =>
{
    var token = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<AnxMonitoringOptions>>().Value.AccessToken;
    var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
    foreach (var address in addresses)
    {
        Console.WriteLine($"Try: {address}/anxapi/v1/up?access_token={Uri.EscapeDataString(token ?? string.Empty)}");
        Console.WriteLine($"     {address}/anxapi/v1/modules?access_token={Uri.EscapeDataString(token ?? string.Empty)}");
        Console.WriteLine($"     {address}/anxapi/v1/sbom?access_token={Uri.EscapeDataString(token ?? string.Empty)} (CycloneDX)");
        Console.WriteLine($"     {address}/anxapi/v1/up (no token: 401)");
        Console.WriteLine($"     {address}/health (the application's own health checks)");
    }
});

await app.RunWithAnxMonitoringCommandsAsync(args);

/// <summary>The sample's entry point, visible to the integration tests.</summary>
public partial class Program;
