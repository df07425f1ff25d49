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
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes;
        if (request.ContentLength > maxBytes) return (null, TooLarge(maxBytes));
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

    public static IResult TooLarge(long maxBytes) =>
        ApiError.Result(StatusCodes.Status413PayloadTooLarge, ErrorCodes.PayloadTooLarge,
            $"request body is larger than this endpoint's limit of {maxBytes} bytes");
}
