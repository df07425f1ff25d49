using System.Net;
using System.Text;
using System.Text.Json;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>What one request may cost: names, params and bodies are capped, and refusals come in the envelope.</summary>
[Collection(PlatformCollection.Name)]
public sealed class InputLimitTests(PlatformFixture platform)
{
    [Theory]
    [InlineData("abc\n")]
    [InlineData("abc\r\n")]
    [InlineData("\nabc")]
    public async Task A_name_with_a_line_break_is_refused(string name)
    {
        using var response = await platform.PostJsonAsync("/api/v1/tasks", new { type = "training", name, script = "echo.csx" });
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "INVALID_REQUEST", "'name'");
    }

    [Fact]
    public async Task Params_over_64_KiB_are_refused_naming_the_field()
    {
        var body = new { type = "training", name = "big-params", script = "echo.csx", @params = new { blob = new string('x', 65 * 1024) } };
        using var response = await platform.PostJsonAsync("/api/v1/tasks", body);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "INVALID_REQUEST", "'params'");
    }

    [Theory]
    [InlineData("/api/v1/tasks", 2 * 1024 * 1024, "1048576")]
    [InlineData("/api/v1/tasks/00000000-0000-0000-0000-000000000001/predict", 17 * 1024 * 1024, "16777216")]
    public async Task A_body_over_its_endpoints_limit_is_413_without_being_sent(string path, long contentLength, string limit)
    {
        // Headers only: the gateway must refuse from the Content-Length alone, before the client sends any body
        // (with 100-continue a client waits for that answer instead of pushing megabytes into a closing connection).
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(platform.Http.BaseAddress!.Host, platform.Http.BaseAddress.Port);
        var stream = tcp.GetStream();
        var headers = $"POST {path} HTTP/1.1\r\nHost: {platform.Http.BaseAddress.Authority}\r\n" +
                      $"Authorization: Bearer {platform.AdminKey}\r\n" +
                      $"Content-Type: application/json\r\nContent-Length: {contentLength}\r\nExpect: 100-continue\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(headers));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("HTTP/1.1 413", answer);
        Assert.Contains("\"code\":\"PAYLOAD_TOO_LARGE\"", answer);
        Assert.Contains(limit, answer);
    }

    [Fact]
    public async Task A_body_over_its_limit_is_refused_even_without_a_content_length()
    {
        var chunks = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes("{\"padding\":\"" + new string('x', 2 * 1024 * 1024) + "\"}")));
        chunks.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/tasks") { Content = chunks };
        request.Headers.TransferEncodingChunked = true;
        using var response = await platform.Http.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE", "limit");
    }

    [Theory]
    [InlineData("/api/v1/tasks?limit=abc", "'limit'")]
    [InlineData("/api/v1/tasks?offset=1.5", "'offset'")]
    [InlineData("/api/v1/tasks/00000000-0000-0000-0000-000000000000/events?after=soon", "'after'")]
    public async Task A_query_value_that_does_not_parse_is_400_naming_the_parameter(string path, string mentioned)
    {
        using var response = await platform.Http.GetAsync(path);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "INVALID_REQUEST", mentioned);
    }

    internal static async Task<(string Code, string Message)> AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code,
        string mentioned)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        var error = await ApiErrorTests.ReadErrorAsync(response);
        Assert.Equal(code, error.Code);
        Assert.Contains(mentioned, error.Message);
        return error;
    }
}
