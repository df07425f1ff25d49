using System.Net;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// What the MinIO SDK 7.0.0 cannot do, done under it at the HTTP level:
/// <list type="bullet">
/// <item>Adds <c>If-None-Match: *</c> to the PUTs sent from an async flow marked by <see cref="OnlyIfAbsent"/>: the SDK
/// turns every header it does not know into <c>x-amz-meta-*</c> metadata. It is added after signing, which SigV4 allows
/// for a standard header.</item>
/// <item>Answers 200 for a ranged HEAD the server answered 206: every ranged GET of the SDK begins with a HEAD carrying
/// the same Range, and 7.0.0 throws PartialContentException on 206 (minio-dotnet issue 1342, fixed after 7.0.0).</item>
/// </list>
/// </summary>
internal sealed class MinioHttpFixes : DelegatingHandler
{
    private static readonly AsyncLocal<bool> CreateOnly = new();

    public static IDisposable OnlyIfAbsent()
    {
        CreateOnly.Value = true;
        return new Unmark();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (CreateOnly.Value && request.Method == HttpMethod.Put) request.Headers.TryAddWithoutValidation("If-None-Match", "*");
        var response = await base.SendAsync(request, cancellationToken);
        if (request.Method == HttpMethod.Head && response.StatusCode == HttpStatusCode.PartialContent) response.StatusCode = HttpStatusCode.OK;
        return response;
    }

    private sealed class Unmark : IDisposable
    {
        public void Dispose() => CreateOnly.Value = false;
    }
}
