namespace Anexia.Monitoring.Mvc.Security;

/// <summary>Why a token was refused: the code is the metric's tag, the reason the log's text (never the token).</summary>
/// <param name="Code">not_configured, missing, empty, conflicting or wrong.</param>
/// <param name="Reason">The sentence the log writes.</param>
internal sealed record TokenRejection(string Code, string Reason)
{
    public static TokenRejection NotConfigured { get; } = new("not_configured", "no access token is configured");

    public static TokenRejection Missing { get; } = new("missing", "no access token is given (access_token parameter or Authorization: Bearer header)");

    public static TokenRejection EmptyParameter { get; } = new("empty", "the access_token parameter is empty");

    public static TokenRejection EmptyBearer { get; } = new("empty", "the Bearer token is empty");

    public static TokenRejection Conflicting { get; } = new("conflicting", "the access token is given more than once with different values");

    public static TokenRejection Wrong { get; } = new("wrong", "the access token does not match");
}
