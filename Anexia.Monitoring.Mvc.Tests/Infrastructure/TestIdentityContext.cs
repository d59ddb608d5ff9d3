using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>An ASP.NET Core Identity context, as most hosts have one.</summary>
public sealed class TestIdentityContext(DbContextOptions<TestIdentityContext> options) : IdentityDbContext<IdentityUser>(options);
