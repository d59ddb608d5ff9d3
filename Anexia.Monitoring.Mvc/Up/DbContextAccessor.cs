using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Reaches one <see cref="DbContext"/> type from a check's scope, whether the host registered the context
/// itself or only its factory, and runs the built-in checks against it.
/// </summary>
internal abstract class DbContextAccessor(Type contextType, Type? userType)
{
    public string ContextName { get; } = contextType.Name;

    public Type? UserType { get; } = userType;

    [UnconditionalSuppressMessage("Trimming", "IL2055", Justification = "The context and user types are registered by the host and so are kept.")]
    public static DbContextAccessor Create(Type contextType)
    {
        var userType = FindIdentityUserType(contextType);
        var accessorType = typeof(DbContextAccessor<,>).MakeGenericType(contextType, userType ?? typeof(object));
        return (DbContextAccessor)Activator.CreateInstance(accessorType, userType)!;
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

    public Task TestConnectionAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        CheckAsync(services, "database connection", async context =>
        {
            var database = context.Database;
            if (database.IsRelational())
            {
                // Opening alone is not enough: a pooled connection is handed out without a round trip,
                // so a dead server would still look alive. One trivial query proves the server answers.
                await database.OpenConnectionAsync(cancellationToken);
                try
                {
                    await using var command = database.GetDbConnection().CreateCommand();
                    command.CommandText = database.ProviderName?.Contains("Oracle", StringComparison.OrdinalIgnoreCase) == true
                        ? "SELECT 1 FROM DUAL"
                        : "SELECT 1";
                    await command.ExecuteScalarAsync(cancellationToken);
                }
                finally
                {
                    await database.CloseConnectionAsync();
                }
            }
            else if (!await database.CanConnectAsync(cancellationToken))
            {
                throw new InvalidOperationException("the database cannot be reached");
            }
        }, cancellationToken);

    public Task QueryUsersAsync(IServiceProvider services, CancellationToken cancellationToken) =>
        CheckAsync(services, "users query", context => QueryUsersCoreAsync(context, cancellationToken), cancellationToken);

    private async Task CheckAsync(IServiceProvider services, string check, Func<DbContext, Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await WithContextAsync(services, action, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"{ContextName} {check} failed: {Cause(ex).Message}", ex);
        }
    }

    /// <summary>
    /// The exception that says what went wrong: EF Core's execution strategies wrap provider errors in
    /// "likely due to a transient failure" or retry-limit exceptions, which name no cause.
    /// </summary>
    internal static Exception Cause(Exception exception)
    {
        var cause = exception;
        while (cause.InnerException is { } inner
            && (cause is RetryLimitExceededException
                || (cause.GetType() == typeof(InvalidOperationException)
                    && cause.Message.Contains("transient failure", StringComparison.OrdinalIgnoreCase))))
        {
            cause = inner;
        }

        return cause;
    }

    protected abstract Task WithContextAsync(IServiceProvider services, Func<DbContext, Task> action, CancellationToken cancellationToken);

    protected abstract Task QueryUsersCoreAsync(DbContext context, CancellationToken cancellationToken);
}

/// <summary>The typed accessor; <typeparamref name="TUser"/> is <see cref="object"/> for a context without Identity.</summary>
internal sealed class DbContextAccessor<TContext, TUser>(Type? userType) : DbContextAccessor(typeof(TContext), userType)
    where TContext : DbContext
    where TUser : class
{
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
