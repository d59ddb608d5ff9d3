namespace Anexia.Monitoring.Mvc.Up;

/// <summary>What one check reported.</summary>
internal enum UpCheckStatus
{
    Ok,
    Warning,
    Error,
}

/// <summary>The result of one check: its status and, for a warning or an error, the raw message.</summary>
internal readonly record struct UpCheckOutcome(UpCheckStatus Status, string Message)
{
    public static UpCheckOutcome Ok { get; } = new(UpCheckStatus.Ok, string.Empty);
}
