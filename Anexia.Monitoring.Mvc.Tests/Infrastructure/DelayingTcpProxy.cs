using System.Net;
using System.Net.Sockets;

namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on 127.0.0.1 in front of a local server that holds every new connection for a while before it passes
/// anything on: the server answers each handshake that much later, as a managed Redis over TLS or a busy host does.
/// </summary>
internal sealed class DelayingTcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stopping = new();
    private readonly int _targetPort;
    private readonly TimeSpan _delay;
    private Task? _accepting;
    private int _connections;

    private DelayingTcpProxy(int targetPort, TimeSpan delay)
    {
        _targetPort = targetPort;
        _delay = delay;
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>How many connections the proxy has accepted.</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static DelayingTcpProxy Start(int targetPort, TimeSpan delay)
    {
        var proxy = new DelayingTcpProxy(targetPort, delay);
        proxy._listener.Start();
        proxy._accepting = proxy.AcceptAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        if (_accepting is not null)
        {
            await _accepting;
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = PipeAsync(client);
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await Task.Delay(_delay, _stopping.Token);
                await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stopping.Token);
                var fromClient = client.GetStream();
                var toServer = server.GetStream();
                await Task.WhenAny(fromClient.CopyToAsync(toServer, _stopping.Token), toServer.CopyToAsync(fromClient, _stopping.Token));
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
            {
                // One side closed, or the proxy stops.
            }
        }
    }
}
