using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Checks;

/// <summary>
/// Reaches one <see cref="DbContext"/> type from a check's scope, whether the host registered the context
/// itself or only its factory, and runs the built-in checks against it.
/// </summary>
internal abstract class DbContextAccessor
{
    protected DbContextAccessor(Type contextType, Type? userType)
    {
        ContextName = contextType.Name;
        UserType = userType;
    }

    public string ContextName { get; }

    public Type? UserType { get; }

    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The context and user types are registered by the host and so are kept.")]
    public static DbContextAccessor Create(Type contextType)
    {
        var userType = BuiltInUpChecks.FindIdentityUserType(contextType);
        var accessorType = userType is null
            ? typeof(DbContextAccessor<,>).MakeGenericType(contextType, typeof(object))
            : typeof(DbContextAccessor<,>).MakeGenericType(contextType, userType);
        return (DbContextAccessor)Activator.CreateInstance(accessorType, userType)!;
    }

    public async Task TestConnectionAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        try
        {
            await WithContextAsync(services, async context =>
            {
                var database = context.Database;
                if (database.IsRelational())
                {
                    await database.OpenConnectionAsync(cancellationToken);
                    await database.CloseConnectionAsync();
                }
                else if (!await database.CanConnectAsync(cancellationToken))
                {
                    throw new InvalidOperationException("the database cannot be reached");
                }
            }, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{ContextName} database connection failed: {ex.Message}", ex);
        }
    }

    public async Task QueryUsersAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        try
        {
            await WithContextAsync(services, context => QueryUsersCoreAsync(context, cancellationToken), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{ContextName} users query failed: {ex.Message}", ex);
        }
    }

    protected abstract Task WithContextAsync(IServiceProvider services, Func<DbContext, Task> action, CancellationToken cancellationToken);

    protected abstract Task QueryUsersCoreAsync(DbContext context, CancellationToken cancellationToken);
}

/// <summary>The typed accessor; <typeparamref name="TUser"/> is <see cref="object"/> for a context without Identity.</summary>
internal sealed class DbContextAccessor<TContext, TUser> : DbContextAccessor
    where TContext : DbContext
    where TUser : class
{
    public DbContextAccessor(Type? userType)
        : base(typeof(TContext), userType)
    {
    }

    protected override async Task WithContextAsync(IServiceProvider services, Func<DbContext, Task> action, CancellationToken cancellationToken)
    {
        if (services.GetService<TContext>() is { } scoped)
        {
            await action(scoped);
            return;
        }

        var factory = services.GetRequiredService<IDbContextFactory<TContext>>();
        await using var created = await factory.CreateDbContextAsync(cancellationToken);
        await action(created);
    }

    // EXISTS over the users table: answers from the first row or the index, never a full COUNT.
    protected override Task QueryUsersCoreAsync(DbContext context, CancellationToken cancellationToken) =>
        context.Set<TUser>().AsNoTracking().AnyAsync(cancellationToken);
}
