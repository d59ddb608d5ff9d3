using Anexia.Monitoring.Mvc.Security;
namespace Anexia.Monitoring.Mvc.Modules.Registry;

/// <summary>
/// Reads a package source's answer up to a byte limit (<see cref="AnxMonitoringOptions.MaxFeedResponseBytes"/>),
/// counting the bytes as the parser takes them (after HTTP decompression, so a small compressed answer cannot
/// unpack into an unbounded one). One byte over the limit ends the read with <see cref="FeedResponseTooLargeException"/>.
/// Nothing is buffered here: the parser reads as the bytes arrive.
/// </summary>
internal sealed class BoundedReadStream(Stream inner, long limit, Uri address) : Stream
{
    private readonly Stream _inner = inner;
    private readonly long _limit = limit;
    private readonly Uri _address = address;
    private long _read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => _read;
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Count(_inner.Read(buffer[..Window(buffer.Length)]));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        return Count(await _inner.ReadAsync(buffer[..Window(buffer.Length)], cancellationToken).ConfigureAwait(false));
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }

    // At most one byte more than the limit is asked for: enough to know the answer is over it.
    private int Window(int requested) => (int)Math.Min(requested, _limit - _read + 1);

    private int Count(int read)
    {
        _read += read;
        if (_read > _limit)
        {
            throw new FeedResponseTooLargeException(_address, _limit);
        }

        return read;
    }
}

/// <summary>A package source's answer was larger than <see cref="AnxMonitoringOptions.MaxFeedResponseBytes"/>.</summary>
internal sealed class FeedResponseTooLargeException(Uri address, long limit)
    : IOException($"The answer of {SecretMasker.Apply(address.AbsoluteUri)} is larger than the limit of {limit} bytes (MaxFeedResponseBytes).")
{
    public long Limit { get; } = limit;
}
