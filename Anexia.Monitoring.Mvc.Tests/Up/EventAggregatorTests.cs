using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Anexia.Monitoring.Mvc.Up;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Tests.Up;

[TestFixture]
public sealed class EventAggregatorTests
{
    private static EventAggregator Create() => new();

    private static Task Noop(MonitorUpCheck check, CancellationToken cancellationToken) => Task.CompletedTask;

    [Test]
    public async Task Checks_RunInSourceOrder_BuiltInThenHealthChecksThenDiHandlersThenSubscribersInSubscriptionOrder()
    {
        await using var host = await MonitoringTestHost.StartAsync(configureServices: b =>
        {
            b.Services.AddMonitorUpCheck<UpEndpointTests.WarningHandler>();
            b.Services.AddHealthChecks().AddCheck("health", () => Microsoft.Extensions.Diagnostics.HealthChecks.HealthCheckResult.Healthy());
        });
        host.Events.Subscribe<MonitorUpCheck>("b", Noop);
        host.Events.Subscribe<MonitorUpCheck>("a", Noop);

        var names = host.Services.GetRequiredService<UpCheckRunner>().CurrentChecks().Select(c => c.Name);

        Assert.That(names, Is.EqualTo(new[]
        {
            "TestIdentityContext database connection", "TestIdentityContext users query", "health", "WarningHandler", "b", "a",
        }));
    }

    [Test]
    public void Subscribe_WithoutName_UsesMethodNameOrNumber()
    {
        var aggregator = Create();
        aggregator.Subscribe<MonitorUpCheck>(Noop);
        aggregator.Subscribe<MonitorUpCheck>((_, _) => Task.CompletedTask);
        aggregator.Subscribe<MonitorUpCheck>((_, _) => Task.CompletedTask);

        var names = aggregator.GetSubscriptions<MonitorUpCheck>().Select(s => s.Name);

        Assert.That(names, Is.EqualTo(new[] { "EventAggregatorTests.Noop", "check #1", "check #2" }));
    }

    [Test]
    public void Dispose_RemovesOnlyThatSubscription_AndIsSafeTwice()
    {
        var aggregator = Create();
        aggregator.Subscribe<MonitorUpCheck>("keep", Noop);
        var removed = aggregator.Subscribe<MonitorUpCheck>("drop", Noop);

        removed.Dispose();
        removed.Dispose();

        Assert.That(aggregator.GetSubscriptions<MonitorUpCheck>().Select(s => s.Name), Is.EqualTo(new[] { "keep" }));
    }

    [Test]
    public void Snapshot_IsNotChangedByLaterSubscriptions()
    {
        var aggregator = Create();
        aggregator.Subscribe<MonitorUpCheck>("first", Noop);
        var snapshot = aggregator.GetSubscriptions<MonitorUpCheck>();

        aggregator.Subscribe<MonitorUpCheck>("second", Noop);

        Assert.That(snapshot, Has.Count.EqualTo(1));
    }

    [Test]
    public void Events_OfOtherTypes_AreKeptApart()
    {
        var aggregator = Create();
        aggregator.Subscribe<string>("text", (_, _) => Task.CompletedTask);

        Assert.That(aggregator.GetSubscriptions<MonitorUpCheck>(), Is.Empty);
        Assert.That(aggregator.GetSubscriptions<string>(), Has.Count.EqualTo(1));
    }

    [Test]
    public void Subscribe_RejectsBlankNamesAndNullHandlers()
    {
        var aggregator = Create();

        Assert.Multiple(() =>
        {
            Assert.Throws<ArgumentException>(() => aggregator.Subscribe<MonitorUpCheck>(" ", Noop));
            Assert.Throws<ArgumentNullException>(() => aggregator.Subscribe<MonitorUpCheck>(null!));
        });
    }
}
