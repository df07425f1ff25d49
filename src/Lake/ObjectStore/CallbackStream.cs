using Minio;
using Minio.DataModel.Args;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// The MinIO SDK lends a response body only inside a callback; this hands it out and keeps the callback (and the
/// response) open until the reader disposes it, so a large object is read as it is consumed.
/// </summary>
internal sealed class CallbackStream(Stream body) : Stream
{
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<Stream> OpenAsync(GetObjectArgs get, IMinioClient client, CancellationToken ct)
    {
        var opened = new TaskCompletionSource<Stream>(TaskCreationOptions.RunContinuationsAsynchronously);
        var download = client.GetObjectAsync(get.WithCallbackStream(async (body, _) =>
        {
            var stream = new CallbackStream(body);
            opened.SetResult(stream);
            await stream._closed.Task;
        }), ct);
        if (await Task.WhenAny(opened.Task, download) == download) await download;
        return await opened.Task;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => body.Read(buffer, offset, count);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) => body.ReadAsync(buffer, offset, count, ct);
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default) => body.ReadAsync(buffer, ct);
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _closed.TrySetResult();
        base.Dispose(disposing);
    }
}
