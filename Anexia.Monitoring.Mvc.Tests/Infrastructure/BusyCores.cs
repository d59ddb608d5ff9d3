namespace Anexia.Monitoring.Mvc.Tests.Infrastructure;

/// <summary>Keeps every core of the machine busy with spinning threads until disposed, as a loaded host would.</summary>
internal sealed class BusyCores : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _threads;

    public BusyCores()
    {
        _threads = [.. Enumerable.Range(0, Environment.ProcessorCount).Select(_ => new Thread(Spin) { IsBackground = true, Priority = ThreadPriority.Normal })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        foreach (var thread in _threads)
        {
            thread.Join();
        }

        _stop.Dispose();
    }

    private void Spin()
    {
        var token = _stop.Token;
        var x = 0UL;
        while (!token.IsCancellationRequested)
        {
            for (var i = 0; i < 100_000; i++)
            {
                x = (x * 6364136223846793005UL) + 1442695040888963407UL;
            }
        }

        GC.KeepAlive(x);
    }
}
