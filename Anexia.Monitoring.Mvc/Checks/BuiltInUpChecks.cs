using Anexia.Monitoring.Mvc.Modules;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Anexia.Monitoring.Mvc.Checks;

/// <summary>
/// Finds every <see cref="DbContext"/> type the host registered (<c>AddDbContext</c>, <c>AddDbContextPool</c>,
/// <c>AddDbContextFactory</c>, before or after <c>AddAnxMonitoring</c>) and creates the built-in checks:
/// one connection check per context, then one users-table query per ASP.NET Core Identity context.
/// </summary>
internal sealed class BuiltInUpChecks
{
    private readonly IServiceCollection _services;
    private readonly IOptionsMonitor<AnxMonitoringOptions> _options;

    /// <param name="services">The host's service collection, read when the checks are created (after the host is built).</param>
    /// <param name="options">The settings that switch each check on or off at run time.</param>
    public BuiltInUpChecks(IServiceCollection services, IOptionsMonitor<AnxMonitoringOptions> options)
    {
        _services = services;
        _options = options;
    }

    /// <summary>
    /// Every built-in check, in the order <c>up</c> runs them: the database checks, then, when
    /// <see cref="AnxMonitoringOptions.VulnerabilityWarningSeverity"/> is set at start-up, the known-vulnerabilities check.
    /// </summary>
    public IEnumerable<EventSubscription<MonitorUpCheck>> Create()
    {
        foreach (var check in CreateDatabaseChecks())
        {
            yield return check;
        }

        if (_options.CurrentValue.VulnerabilityWarningSeverity is not null)
        {
            yield return new EventSubscription<MonitorUpCheck>(
                "known vulnerabilities",
                (_, _) => Task.CompletedTask)
            {
                IsSwitchedOn = () => _options.CurrentValue.VulnerabilityWarningSeverity is not null,
                WarningLines = (check, cancellationToken) => check.Services.GetRequiredService<ModulesCatalog>()
                    .GetVulnerabilityWarningsAsync(_options.CurrentValue.VulnerabilityWarningSeverity ?? VulnerabilitySeverity.Critical, cancellationToken),
            };
        }
    }

    /// <summary>The connection check of every context, then the users query of every Identity context.</summary>
    public IEnumerable<EventSubscription<MonitorUpCheck>> CreateDatabaseChecks()
    {
        var contexts = FindDbContextTypes();
        var accessors = contexts.Select(DbContextAccessor.Create).ToList();

        foreach (var accessor in accessors)
        {
            yield return new EventSubscription<MonitorUpCheck>(
                $"{accessor.ContextName} database connection",
                (check, cancellationToken) => accessor.TestConnectionAsync(check.Services, cancellationToken))
            {
                IsSwitchedOn = () => _options.CurrentValue.TestDbConnections,
            };
        }

        foreach (var accessor in accessors.Where(a => a.UserType is not null))
        {
            yield return new EventSubscription<MonitorUpCheck>(
                $"{accessor.ContextName} users query",
                (check, cancellationToken) => accessor.QueryUsersAsync(check.Services, cancellationToken))
            {
                IsSwitchedOn = () => _options.CurrentValue.TestQueryUsers,
            };
        }
    }

    private List<Type> FindDbContextTypes()
    {
        var found = new List<Type>();
        foreach (var descriptor in _services)
        {
            var type = descriptor.ServiceType;
            Type? context = null;
            if (typeof(DbContext).IsAssignableFrom(type) && type != typeof(DbContext) && !type.IsGenericTypeDefinition)
            {
                context = type;
            }
            else if (type.IsConstructedGenericType && type.GetGenericTypeDefinition() == typeof(IDbContextFactory<>))
            {
                context = type.GetGenericArguments()[0];
            }

            if (context is not null && !found.Contains(context))
            {
                found.Add(context);
            }
        }

        return found;
    }

    /// <summary>
    /// Returns the user entity type when <paramref name="contextType"/> derives from Identity's
    /// <c>IdentityUserContext</c>, else null. Matched by name and namespace rather than arity: .NET 10 added a
    /// sixth type parameter (passkeys) beside the five-parameter form, and the users set is the first of either.
    /// </summary>
    internal static Type? FindIdentityUserType(Type contextType)
    {
        var identityNamespace = typeof(IdentityUserContext<,,,,>).Namespace;
        for (var type = contextType; type is not null && type != typeof(DbContext); type = type.BaseType)
        {
            if (type.IsConstructedGenericType
                && type.Namespace == identityNamespace
                && type.Name.StartsWith("IdentityUserContext`", StringComparison.Ordinal))
            {
                return type.GetGenericArguments()[0];
            }
        }

        return null;
    }
}
