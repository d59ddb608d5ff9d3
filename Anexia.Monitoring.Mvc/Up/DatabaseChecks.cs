using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// The built-in database checks: one connection check per registered <c>DbContext</c>
/// (<see cref="AnxMonitoringOptions.TestDbConnections"/>), then one users-table query per ASP.NET Core Identity
/// context (<see cref="AnxMonitoringOptions.TestQueryUsers"/>). Run by <c>up</c> and by the health check of
/// <c>AddAnxMonitoringChecks()</c> alike.
/// </summary>
internal sealed class DatabaseChecks(DbContextRegistrations contexts, IOptions<AnxMonitoringOptions> options) : IUpCheckProvider
{
    private readonly Lazy<UpCheck[]> _checks = new(() => Create(contexts, options));

    public IEnumerable<UpCheck> Checks => _checks.Value;

    private static UpCheck[] Create(DbContextRegistrations contexts, IOptions<AnxMonitoringOptions> options)
    {
        var accessors = contexts.Types.Select(DbContextAccessor.Create).ToList();
        var connections = accessors.Select(accessor => UpCheck.Of(
            $"{accessor.ContextName} database connection",
            (check, cancellationToken) => accessor.TestConnectionAsync(check.Services, cancellationToken),
            () => options.Value.TestDbConnections));
        var users = accessors.Where(a => a.UserType is not null).Select(accessor => UpCheck.Of(
            $"{accessor.ContextName} users query",
            (check, cancellationToken) => accessor.QueryUsersAsync(check.Services, cancellationToken),
            () => options.Value.TestQueryUsers));
        return [.. connections, .. users];
    }
}
