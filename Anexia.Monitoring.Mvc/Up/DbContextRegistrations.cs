using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// The <see cref="DbContext"/> types the host registered (<c>AddDbContext</c>, <c>AddDbContextPool</c>,
/// <c>AddDbContextFactory</c>), before or after <c>AddAnxMonitoring</c>. A built service provider cannot list its
/// registrations, so this keeps the host's service collection until the types are first asked for (after the host is
/// built), reads them once and lets go of the collection.
/// </summary>
internal sealed class DbContextRegistrations(IServiceCollection services)
{
    private readonly Lazy<IReadOnlyList<Type>> _types = new(() => Find(services));

    /// <summary>The context types, in registration order.</summary>
    public IReadOnlyList<Type> Types => _types.Value;

    private static List<Type> Find(IServiceCollection services)
    {
        var found = new List<Type>();
        foreach (var type in services.Select(descriptor => descriptor.ServiceType))
        {
            var context = typeof(DbContext).IsAssignableFrom(type) && type != typeof(DbContext) && !type.IsGenericTypeDefinition ? type
                : type.IsConstructedGenericType && type.GetGenericTypeDefinition() == typeof(IDbContextFactory<>) ? type.GetGenericArguments()[0]
                : null;
            if (context is not null && !found.Contains(context))
            {
                found.Add(context);
            }
        }

        return found;
    }
}
