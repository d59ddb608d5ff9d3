using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Anexia.Monitoring.Mvc.Controllers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Anexia.Monitoring.Mvc.Security;

/// <summary>
/// Guards the reads (GET and HEAD) of <see cref="Controllers.AnxApiController"/> with an access token, given as
/// the query parameter <c>access_token</c> or as <c>Authorization: Bearer &lt;token&gt;</c> (which keeps it out of
/// access logs). Answers <c>401 Unauthorized</c> (text/plain) when no token is configured, or the token is
/// missing, empty, given more than once with different values, or wrong. Every accepted token
/// (<see cref="AnxMonitoringOptions.AccessToken"/> and <see cref="AnxMonitoringOptions.AccessTokens"/>) is compared,
/// each in the same time whatever the supplied value (both sides are hashed to SHA-256 first, so not even the
/// length leaks), and none is skipped after a match. OPTIONS and the methods the endpoints refuse with 405 carry
/// no data and need no token.
/// </summary>
internal sealed partial class AccessTokenFilter(
    IOptions<AnxMonitoringOptions> options,
    FailedTokenThrottle throttle,
    ILogger<AccessTokenFilter> logger,
    Telemetry.AnxMonitoringTelemetry? telemetry = null)
    : IAuthorizationFilter
{
    public const string QueryParameter = "access_token";

    /// <summary>The body of every 401 answer, as the Django app writes it.</summary>
    public const string UnauthorizedBody = "401 Unauthorized";

    private const string BearerPrefix = "Bearer ";

    /// <summary>The body of every 429 answer (a client over the failed-token limit).</summary>
    public const string TooManyRequestsBody = "429 Too Many Requests";

    private static readonly PreparedBodyResult Unauthorized = PreparedBodyResult.PlainText(StatusCodes.Status401Unauthorized, UnauthorizedBody);
    private static readonly PreparedBodyResult TooManyRequests = PreparedBodyResult.PlainText(StatusCodes.Status429TooManyRequests, TooManyRequestsBody);

    private readonly IOptions<AnxMonitoringOptions> _options = options;
    private readonly FailedTokenThrottle _throttle = throttle;
    private readonly ILogger<AccessTokenFilter> _logger = logger;
    private readonly Telemetry.AnxMonitoringTelemetry? _telemetry = telemetry;
    private AcceptedTokens? _accepted;

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.HttpContext.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return;
        }

        var rejection = Check(_options.Value, request.Query[QueryParameter], request.Headers.Authorization);
        if (rejection is null)
        {
            return;
        }

        if (_throttle.AdmitFailure(context.HttpContext, out var retryAfter))
        {
            _telemetry?.TokenRejections.Add(1, new KeyValuePair<string, object?>("anxmonitoring.token.reason", rejection.Code));
            Log.Rejected(_logger, request.Path, rejection.Reason);
            context.Result = Unauthorized;
            return;
        }

        _telemetry?.TokenRejections.Add(1, new KeyValuePair<string, object?>("anxmonitoring.token.reason", "throttled"));
        var seconds = (long)Math.Ceiling(Math.Max(retryAfter.TotalSeconds, 1));
        Log.Throttled(_logger, request.Path, rejection.Reason, seconds);
        context.HttpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Result = TooManyRequests;
    }

    /// <summary>
    /// Returns why the supplied query values and <c>Authorization</c> headers are refused, or null when they carry
    /// an accepted token. An <c>Authorization</c> header of another scheme (a proxy's Basic credentials) is ignored.
    /// </summary>
    internal TokenRejection? Check(AnxMonitoringOptions options, StringValues queryValues, StringValues authorization)
    {
        var accepted = Accepted(options);
        if (accepted.Hashes.Length == 0)
        {
            return TokenRejection.NotConfigured;
        }

        string? candidate = null;
        foreach (var value in queryValues)
        {
            if (string.IsNullOrEmpty(value))
            {
                return TokenRejection.EmptyParameter;
            }

            if (!Agrees(ref candidate, value))
            {
                return TokenRejection.Conflicting;
            }
        }

        foreach (var header in authorization)
        {
            if (header is null || !header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var bearer = header[BearerPrefix.Length..].Trim();
            if (bearer.Length == 0)
            {
                return TokenRejection.EmptyBearer;
            }

            if (!Agrees(ref candidate, bearer))
            {
                return TokenRejection.Conflicting;
            }
        }

        if (candidate is null)
        {
            return TokenRejection.Missing;
        }

        Span<byte> candidateHash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(candidate, candidateHash);
        var matches = false;
        foreach (var hash in accepted.Hashes)
        {
            matches |= CryptographicOperations.FixedTimeEquals(hash, candidateHash);
        }

        return matches ? null : TokenRejection.Wrong;
    }

    private static bool Agrees(ref string? candidate, string value)
    {
        if (candidate is null)
        {
            candidate = value;
            return true;
        }

        return string.Equals(candidate, value, StringComparison.Ordinal);
    }

    /// <summary>The accepted tokens' hashes, computed once per options instance (the host's, or a test's own).</summary>
    private AcceptedTokens Accepted(AnxMonitoringOptions options)
    {
        var known = Volatile.Read(ref _accepted);
        if (known is not null && ReferenceEquals(known.Options, options))
        {
            return known;
        }

        var hashes = new List<byte[]>();
        var tokens = new HashSet<string>(StringComparer.Ordinal);
        foreach (var token in options.AccessTokens.Prepend(options.AccessToken))
        {
            if (!string.IsNullOrWhiteSpace(token) && tokens.Add(token))
            {
                var hash = new byte[SHA256.HashSizeInBytes];
                Hash(token, hash);
                hashes.Add(hash);
            }
        }

        known = new AcceptedTokens(options, [.. hashes]);
        Volatile.Write(ref _accepted, known);
        return known;
    }

    private static void Hash(string value, Span<byte> destination)
    {
        const int StackLimit = 512;
        var maxBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[]? rented = null;
        var buffer = maxBytes <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
        try
        {
            var length = Encoding.UTF8.GetBytes(value, buffer);
            SHA256.HashData(buffer[..length], destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    private sealed record AcceptedTokens(AnxMonitoringOptions Options, byte[][] Hashes);

    private static partial class Log
    {
        // The token itself is never logged: only the path and the reason. Per request at Debug: a flood of wrong
        // tokens must not flood the log; FailedTokenThrottle writes one Warning per window that sums them up.
        [LoggerMessage(EventId = 201, EventName = "AccessTokenRejected", Level = LogLevel.Debug,
            Message = "Answered 401 to a monitoring request for {Path}: {Reason}.")]
        public static partial void Rejected(ILogger logger, PathString path, string reason);

        [LoggerMessage(EventId = 202, EventName = "AccessTokenThrottled", Level = LogLevel.Debug,
            Message = "Answered 429 to a monitoring request for {Path} ({Reason}): its address is over the failed-token limit; retry after {RetryAfterSeconds} s.")]
        public static partial void Throttled(ILogger logger, PathString path, string reason, long retryAfterSeconds);
    }
}
