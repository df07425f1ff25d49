using System.Net;
using AiPlatform.Fleet;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>A gateway of its own (no workers) with tight limits, so the limits can be reached in a test.</summary>
public sealed class RateLimitedGateway : IAsyncLifetime
{
    public LocalFleet Fleet { get; private set; } = null!;

    public async Task InitializeAsync() => Fleet = await LocalFleet.StartAsync(new FleetOptions
    {
        Workers = [],
        Settings = new Dictionary<string, string>
        {
            ["Predict__RequestsPerSecondPerClient"] = "1",
            ["Stream__MaxConnections"] = "1",
        },
    });

    public async Task DisposeAsync() => await Fleet.DisposeAsync();
}

public sealed class RateLimitTests(RateLimitedGateway gateway) : IClassFixture<RateLimitedGateway>
{
    [Fact]
    public async Task Predict_requests_beyond_the_clients_rate_get_429_in_the_envelope()
    {
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        // A bucket of two tokens refilled at one a second: a quick burst of ten must run dry.
        for (var i = 0; i < 10 && limited is null; i++)
        {
            var response = await gateway.Fleet.Http.PostAsync($"/api/v1/tasks/{Guid.NewGuid()}/predict",
                new StringContent("{\"image\":[]}", System.Text.Encoding.UTF8, "application/json"));
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests) limited = response;
            else response.Dispose();
        }
        Assert.True(limited is not null, "no 429 in a burst of ten: " + string.Join(", ", statuses));
        using (limited)
        {
            Assert.Equal("TOO_MANY_REQUESTS", (await ApiErrorTests.ReadErrorAsync(limited!)).Code);
            Assert.NotNull(limited!.Headers.RetryAfter);
        }
        // Other endpoints are not limited by predict's budget.
        using var list = await gateway.Fleet.Http.GetAsync("/api/v1/tasks");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
    }

    [Fact]
    public async Task Event_stream_connections_are_capped_and_a_closed_one_frees_its_place()
    {
        using (var first = await OpenStreamAsync())
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            using var reader = new StreamReader(await first.Content.ReadAsStreamAsync());
            // The shared producer sends a snapshot to a new subscriber at once.
            string? line;
            while ((line = await reader.ReadLineAsync()) is not null && line != "event: snapshot") { }
            Assert.Equal("event: snapshot", line);

            using var second = await OpenStreamAsync();
            Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
            Assert.Equal("TOO_MANY_REQUESTS", (await ApiErrorTests.ReadErrorAsync(second)).Code);
        }
        // The server notices the closed connection shortly after; then a new page may connect.
        HttpResponseMessage third;
        var attempts = 0;
        while ((third = await OpenStreamAsync()).StatusCode == HttpStatusCode.TooManyRequests && ++attempts < 50)
        {
            third.Dispose();
            await Task.Delay(200);
        }
        using (third) Assert.Equal(HttpStatusCode.OK, third.StatusCode);
    }

    private Task<HttpResponseMessage> OpenStreamAsync() =>
        gateway.Fleet.Http.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/stream"), HttpCompletionOption.ResponseHeadersRead);
}
