using System.Text;
using Anexia.Monitoring.Mvc.Security;

namespace Anexia.Monitoring.Mvc.Up;

/// <summary>
/// The outcome of one run of every <c>up</c> check, turned into the wire format: <c>OK</c>, or the
/// <c>WARNING:</c> lines followed by the <c>ERROR:</c> lines, each in subscription order, joined by <c>\n</c>.
/// </summary>
internal sealed class UpReport
{
    private static readonly UpReport AllOk = new([]);

    public UpReport(IReadOnlyList<UpCheckOutcome> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        HasErrors = outcomes.Any(o => o.Status == UpCheckStatus.Error);
        Body = Format(outcomes);
        Utf8Body = Encoding.UTF8.GetBytes(Body);
    }

    /// <summary>The report of one run: each check's outcomes, in order. A run where every check passed shares one report.</summary>
    public static UpReport Of(UpCheckOutcome[][] outcomes)
    {
        var lines = outcomes.SelectMany(check => check).Where(outcome => outcome.Status != UpCheckStatus.Ok).ToList();
        return lines.Count == 0 ? AllOk : new UpReport(lines);
    }

    /// <summary>Whether any check failed: the answer is then 500.</summary>
    public bool HasErrors { get; }

    public string Body { get; }

    /// <summary>The body as UTF-8, made once per run and written as it is to every request sharing the run.</summary>
    public ReadOnlyMemory<byte> Utf8Body { get; }

    public int StatusCode => HasErrors ? 500 : 200;

    private static string Format(IReadOnlyList<UpCheckOutcome> outcomes)
    {
        var lines = outcomes.Where(o => o.Status == UpCheckStatus.Warning).Concat(outcomes.Where(o => o.Status == UpCheckStatus.Error));
        var body = string.Join('\n', lines.Select(Line));
        return body.Length == 0 ? "OK" : body;
    }

    /// <summary>
    /// One outcome as its line of the body: <c>WARNING: msg</c> or <c>ERROR: msg</c>, kept on one line, with the
    /// credentials in the message masked (<see cref="SecretMasker"/>).
    /// </summary>
    internal static string Line(UpCheckOutcome outcome) =>
        (outcome.Status == UpCheckStatus.Error ? "ERROR: " : "WARNING: ") + ToSingleLine(outcome.Message is null ? null : SecretMasker.Apply(outcome.Message));

    /// <summary>
    /// Keeps a message on its one line: every control character (line breaks, including the Unicode ones,
    /// and tabs) becomes a space, so no check can forge an extra <c>OK</c> or <c>ERROR:</c> line.
    /// A blank message is written as <c>-</c>.
    /// </summary>
    internal static string ToSingleLine(string? message)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return "-";
        }

        if (!message.Any(IsBreaking))
        {
            return message;
        }

        return string.Create(message.Length, message, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = IsBreaking(source[i]) ? ' ' : source[i];
            }
        });
    }

    private static bool IsBreaking(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';
}
