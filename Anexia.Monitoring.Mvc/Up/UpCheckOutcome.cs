namespace Anexia.Monitoring.Mvc.Up;

internal enum UpCheckStatus
{
    Ok,
    Warning,
    Error,
}

/// <summary>The result of one check: its status and, for a warning or an error, the raw message.</summary>
internal readonly record struct UpCheckOutcome(UpCheckStatus Status, string Message)
{
    /// <summary>Whether the error is the check's time limit (or a run still going from an earlier one).</summary>
    public bool IsTimeout { get; init; }

    public static UpCheckOutcome Ok { get; } = new(UpCheckStatus.Ok, string.Empty);
}
