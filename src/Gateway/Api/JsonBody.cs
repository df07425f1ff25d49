using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace AiPlatform.Gateway.Api;

/// <summary>
/// Reads an endpoint's JSON body within that endpoint's size limit. An oversized body is refused with 413 before it is
/// buffered (from Content-Length, or as soon as the stream passes the limit); malformed JSON is a 400.
/// </summary>
public static class JsonBody
{
    /// <returns>The parsed body (the caller disposes it), or the error answer.</returns>
    public static async Task<(JsonDocument? Body, IResult? Error)> ReadAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (Limit(request, maxBytes) is { } refused) return (null, refused);
        try
        {
            return (await JsonDocument.ParseAsync(request.Body, cancellationToken: ct), null);
        }
        catch (JsonException e)
        {
            return (null, ApiError.BadRequest($"request body is not valid JSON: {e.Message}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
    }

    /// <summary>The body as sent, once checked to be well-formed JSON: for a body the gateway passes on without reading it.</summary>
    public static async Task<(string? Json, IResult? Error)> ReadTextAsync(HttpRequest request, long maxBytes, CancellationToken ct)
    {
        if (Limit(request, maxBytes) is { } refused) return (null, refused);
        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, ct);
            var bytes = new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
            JsonDocument.Parse(bytes).Dispose();
            return (System.Text.Encoding.UTF8.GetString(bytes.Span), null);
        }
        catch (JsonException e)
        {
            return (null, ApiError.BadRequest($"request body is not valid JSON: {e.Message}"));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(maxBytes));
        }
    }

    /// <summary>Sets the server's limit for this request's body, and refuses it at once when its declared length is over.</summary>
    private static IResult? Limit(HttpRequest request, long maxBytes)
    {
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
        return request.ContentLength > maxBytes ? TooLarge(maxBytes) : null;
    }

    public static IResult TooLarge(long maxBytes) =>
        ApiError.Result(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
            $"request body is larger than this endpoint's limit of {maxBytes} bytes");
}
