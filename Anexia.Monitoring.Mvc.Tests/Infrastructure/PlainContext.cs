using Microsoft.EntityFrameworkCore;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>A context without Identity: only its connection is checked.</summary>
public sealed class PlainContext(DbContextOptions<PlainContext> options) : DbContext(options);
