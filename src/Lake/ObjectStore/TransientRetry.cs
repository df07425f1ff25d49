using System.Net;
using Minio.DataModel.Result;
using Minio.Exceptions;

namespace AiPlatform.Lake.ObjectStore;

/// <summary>
/// The MinIO SDK retries nothing by default. This waits out a server restart like the AWS SDK's standard mode with 8
/// retries: full-jitter exponential backoff from 100 ms, capped at 20 s.
/// </summary>
internal static class TransientRetry
{
    private const int MaxRetries = 8;

    public static async Task<ResponseResult> RunAsync(Func<Task<ResponseResult>> send)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await send();
            }
            catch (Exception e) when (attempt < MaxRetries && IsTransient(e))
            {
                var cap = Math.Min(20_000, 100 * Math.Pow(2, attempt));
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * cap));
            }
        }
    }

    private static bool IsTransient(Exception e) => e switch
    {
        // A short body is the caller's range, not the network.
        EndOfStreamException => false,
        HttpRequestException or IOException or ConnectionException => true,
        MinioException { ServerResponse.StatusCode: >= HttpStatusCode.InternalServerError } => true,
        MinioException { Response.Code: "ServiceUnavailable" or "SlowDown" or "InternalError" or "RequestTimeout" } => true,
        _ => false,
    };
}
