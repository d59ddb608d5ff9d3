using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Anexia.Monitoring.Mvc.Controllers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Anexia.Monitoring.Mvc.Filters;

/// <summary>
/// Guards the reads (GET and HEAD) of <see cref="Controllers.AnxApiController"/> with the query parameter
/// <c>access_token</c>. Answers <c>401 Unauthorized</c> (text/plain) when no token is configured, or the
/// parameter is missing, empty, repeated with different values, or wrong. The comparison takes the same time
/// whatever the supplied value (both sides are hashed to SHA-256 first, so not even the length leaks).
/// OPTIONS and the methods the endpoints refuse with 405 carry no data and need no token.
/// </summary>
internal sealed partial class AccessTokenFilter : IAuthorizationFilter
{
    /// <summary>The query parameter that carries the token.</summary>
    public const string QueryParameter = "access_token";

    /// <summary>The body of every 401 answer, as the Django app writes it.</summary>
    public const string UnauthorizedBody = "401 Unauthorized";

    private static readonly PreparedBodyResult Unauthorized = PreparedBodyResult.PlainText(StatusCodes.Status401Unauthorized, UnauthorizedBody);

    private readonly IOptionsMonitor<AnxMonitoringOptions> _options;
    private ExpectedToken? _expected;
    private readonly ILogger<AccessTokenFilter> _logger;

    public AccessTokenFilter(IOptionsMonitor<AnxMonitoringOptions> options, ILogger<AccessTokenFilter> logger)
    {
        _options = options;
        _logger = logger;
    }

    public void OnAuthorization(AuthorizationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.HttpContext.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method))
        {
            return;
        }

        var rejection = Check(_options.CurrentValue.AccessToken, request.Query[QueryParameter]);
        if (rejection is null)
        {
            return;
        }

        Log.Rejected(_logger, request.Path, rejection);
        context.Result = Unauthorized;
    }

    /// <summary>Returns why the supplied values are refused, or null when they carry the configured token.</summary>
    internal string? Check(string? configuredToken, StringValues supplied)
    {
        if (string.IsNullOrWhiteSpace(configuredToken))
        {
            return "no access token is configured";
        }

        if (supplied.Count == 0)
        {
            return "the access_token parameter is missing";
        }

        var candidate = supplied[0];
        if (string.IsNullOrEmpty(candidate))
        {
            return "the access_token parameter is empty";
        }

        for (var i = 1; i < supplied.Count; i++)
        {
            if (!string.Equals(supplied[i], candidate, StringComparison.Ordinal))
            {
                return "the access_token parameter is repeated with different values";
            }
        }

        return FixedTimeEquals(configuredToken, candidate) ? null : "the access token does not match";
    }

    private bool FixedTimeEquals(string expected, string actual)
    {
        // The configured token's hash is kept until the configuration gives another token string.
        var known = _expected;
        if (known is null || !ReferenceEquals(known.Token, expected))
        {
            known = new ExpectedToken(expected, Hash(expected));
            _expected = known;
        }

        Span<byte> actualHash = stackalloc byte[SHA256.HashSizeInBytes];
        Hash(actual, actualHash);
        return CryptographicOperations.FixedTimeEquals(known.Hash, actualHash);
    }

    private static byte[] Hash(string value)
    {
        var hash = new byte[SHA256.HashSizeInBytes];
        Hash(value, hash);
        return hash;
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

    private sealed record ExpectedToken(string Token, byte[] Hash);

    private static partial class Log
    {
        // The token itself is never logged: only the path and the reason.
        [LoggerMessage(EventId = 201, EventName = "AccessTokenRejected", Level = LogLevel.Information,
            Message = "Answered 401 to a monitoring request for {Path}: {Reason}.")]
        public static partial void Rejected(ILogger logger, PathString path, string reason);
    }
}
