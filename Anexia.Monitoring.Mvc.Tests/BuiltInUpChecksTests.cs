using Anexia.Monitoring.Mvc.Checks;
using Anexia.Monitoring.Mvc.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;

namespace Anexia.Monitoring.Mvc.Tests;

[TestFixture]
public sealed class BuiltInUpChecksTests
{
    [Test]
    public void FindIdentityUserType_ForIdentityContext_ReturnsUserType() =>
        Assert.That(DbContextAccessor.FindIdentityUserType(typeof(TestIdentityContext)), Is.EqualTo(typeof(IdentityUser)));

    [Test]
    public void FindIdentityUserType_ForPlainContext_ReturnsNull() =>
        Assert.That(DbContextAccessor.FindIdentityUserType(typeof(PlainContext)), Is.Null);
}
