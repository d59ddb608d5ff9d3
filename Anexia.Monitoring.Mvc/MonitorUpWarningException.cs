namespace Anexia.Monitoring.Mvc;

/// <summary>
/// Thrown by an <c>up</c> check to report a warning: the endpoint then writes <c>WARNING: &lt;message&gt;</c>
/// and keeps status 200. Any other exception reports an error (<c>ERROR: &lt;message&gt;</c>, status 500).
/// </summary>
public class MonitorUpWarningException : Exception
{
    /// <summary>Creates a warning without a message; the endpoint writes it as <c>WARNING: -</c>.</summary>
    public MonitorUpWarningException()
        : base(string.Empty)
    {
    }

    /// <summary>Creates a warning with the message to show after <c>WARNING: </c>.</summary>
    /// <param name="message">The warning text; line breaks are written as spaces.</param>
    public MonitorUpWarningException(string? message)
        : base(message ?? string.Empty)
    {
    }

    /// <summary>Creates a warning with a message and the exception that caused it.</summary>
    /// <param name="message">The warning text; line breaks are written as spaces.</param>
    /// <param name="innerException">The exception behind the warning.</param>
    public MonitorUpWarningException(string? message, Exception? innerException)
        : base(message ?? string.Empty, innerException)
    {
    }
}
