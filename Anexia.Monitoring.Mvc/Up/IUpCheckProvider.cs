namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// Gives <see cref="UpCheckRunner"/> the <c>up</c> checks of one kind, asked on every run, in registration order
/// (docs/architecture.md lists the providers).
/// </summary>
internal interface IUpCheckProvider
{
    /// <summary>The current checks of this provider, in the order they run and report.</summary>
    IEnumerable<UpCheck> Checks { get; }
}
