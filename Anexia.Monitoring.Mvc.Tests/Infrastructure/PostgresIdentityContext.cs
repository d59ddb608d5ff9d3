using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>An ASP.NET Core Identity context on PostgreSQL (Npgsql).</summary>
public sealed class PostgresIdentityContext(DbContextOptions<PostgresIdentityContext> options) : IdentityDbContext<IdentityUser>(options);
