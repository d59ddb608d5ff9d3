using System.Diagnostics;
using System.Net.Sockets;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>
/// A throw-away Redis server on 127.0.0.1 and a free port, from the machine's redis-server package: no persistence,
/// killed on dispose. It can be stopped and started again on the same port, to test what the shared cache does when
/// Redis goes away.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _binary;
    private Process? _process;

    private RedisServer(string binary, int port)
    {
        _binary = binary;
        Port = port;
    }

    public int Port { get; }

    /// <summary>
    /// The StackExchange.Redis configuration: short time limits, and no failure when the server is down at connect
    /// (the multiplexer reconnects by itself).
    /// </summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=1000,syncTimeout=1000,asyncTimeout=1000,connectRetry=1";

    /// <summary>Starts a server; where redis-server is missing: fails under CI (where .ci/run installs it), else ignores the tests.</summary>
    public static async Task<RedisServer> StartAsync()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);
        if (binary is null)
        {
            const string reason = "redis-server not found; install the Debian package redis-server (build/test does).";
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI")))
            {
                Assert.Fail(reason);
            }

            Assert.Ignore(reason);
        }

        var server = new RedisServer(binary!, LocalNuGetFeed.FreePort());
        await server.StartServerAsync();
        return server;
    }

    public async Task StartServerAsync()
    {
        _process = Process.Start(new ProcessStartInfo(_binary)
        {
            ArgumentList = { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = _process.StandardOutput.ReadToEndAsync();
        _ = _process.StandardError.ReadToEndAsync();
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < until)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        Assert.Fail($"redis-server did not listen on port {Port} within 30 s");
    }

    public async Task StopServerAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopServerAsync();
}
