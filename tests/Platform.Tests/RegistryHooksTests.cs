using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

/// <summary>Webhooks on registry changes, received by a small HTTP listener in the test.</summary>
[Collection(PlatformCollection.Name)]
public sealed class RegistryHooksTests(PlatformFixture platform) : RegistryTestBase
{
    protected override PlatformFixture Platform => platform;

    [Fact]
    public async Task Hooks_get_signed_transitions_with_retries_and_a_gate_can_veto_a_promotion()
    {
        var (dataset, model) = (Unique("hook-ds"), Unique("hook-m"));
        await RunTaskAsync(new { type = "ingestion", name = Unique("ingest"), script = "registry/write_dataset.csx", output = dataset });
        foreach (var _ in Enumerable.Range(0, 2))
            await RunTaskAsync(new { type = "training", name = Unique("train"), script = "registry/save_model.csx", input = dataset, output = model });
        await WaitForVersionsAsync("models", model, 2);

        await using var receiver = new Receiver();
        const string secret = "a-secret-the-receiver-knows";
        // The first call fails: the delivery is retried with backoff.
        receiver.Answers.Enqueue((500, "busy"));
        var created = await SendAsync(HttpMethod.Post, "/api/v1/hooks",
            new { url = receiver.Url + "events", secret, kind = "model", name = model, events = new[] { "alias_moved", "archived" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var hook = created.Body["hook"]!["id"]!.GetValue<string>();
        Assert.Equal(secret, created.Body["secret"]!.GetValue<string>());
        Assert.DoesNotContain(secret, (await SendAsync(HttpMethod.Get, "/api/v1/hooks", null)).Body.ToJsonString());

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/staging", new { version = "1.0.0", reason = "try it" })).Status);
        var call = await WaitForAsync(() => Task.FromResult(receiver.Calls.Count >= 2 ? receiver.Calls.ToArray() : null));
        foreach (var (headers, body) in call)
        {
            Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body)), headers[Signature]);
            Assert.Equal("alias_moved", headers["X-Aip-Event"]);
        }
        var payload = JsonNode.Parse(call[^1].Body)!;
        Assert.Equal((model, "1.0.0", "try it", "bootstrap"), (payload["name"]!.GetValue<string>(), payload["version"]!.GetValue<string>(),
            payload["reason"]!.GetValue<string>(), payload["actor"]!.GetValue<string>()));
        Assert.Equal("staging", payload["after"]!["alias"]!.GetValue<string>());
        var delivered = await WaitForAsync(async () => (await GetAsync($"/api/v1/hooks/{hook}/deliveries")).AsArray() is var log
                                                       && log.Count == 1 && log[0]!["status"]!.GetValue<string>() == "delivered" ? log[0] : null);
        Assert.Equal((2, 200), (delivered["attempts"]!.GetValue<int>(), delivered["last_status_code"]!.GetValue<int>()));

        // A gate that says no: the promotion is refused with its reason and nothing moves.
        foreach (var _ in Enumerable.Range(0, 2)) receiver.Answers.Enqueue((422, """{"reason": "accuracy 0.41 is below 0.9"}"""));
        var gate = await SendAsync(HttpMethod.Post, "/api/v1/hooks", new { url = receiver.Url + "gate", kind = "model", name = model, gate = true });
        var refused = await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.1.0" });
        AssertError(refused, 409, "GATE_REJECTED", "accuracy 0.41 is below 0.9", "production");
        Assert.DoesNotContain((await GetAsync($"/api/v1/models/{model}/aliases")).AsArray(), a => a!["alias"]!.GetValue<string>() == "production");
        AssertError(await SendAsync(HttpMethod.Post, $"/api/v1/models/{model}/versions/1.1.0/stage", new { stage = "active" }), 409, "GATE_REJECTED", "active");
        Assert.Equal("vetoed", (await GetAsync($"/api/v1/hooks/{gate.Body["hook"]!["id"]}/deliveries")).AsArray()[0]!["status"]!.GetValue<string>());

        // The gate's default answer here is 200: it lets the promotion through.
        var promoted = await SendAsync(HttpMethod.Put, $"/api/v1/models/{model}/aliases/production", new { version = "1.1.0" });
        Assert.Equal(HttpStatusCode.OK, promoted.Status);
        Assert.Contains(receiver.Calls, c => JsonNode.Parse(c.Body)!["event"]!.GetValue<string>() == "promotion_requested");

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/hooks/{hook}", null)).Status);
        AssertError(await SendAsync(HttpMethod.Get, $"/api/v1/hooks/{hook}", null), 404, "NOT_FOUND");
        AssertError(await SendAsync(HttpMethod.Post, "/api/v1/hooks", new { url = "ftp://example.invalid" }), 400, "INVALID_REQUEST", "'url'");
        AssertError(await SendAsync(HttpMethod.Post, "/api/v1/hooks", new { url = receiver.Url, name = model }), 400, "INVALID_REQUEST", "'kind'");
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/hooks/{gate.Body["hook"]!["id"]}", null)).Status);
    }

    [Fact]
    public async Task Creating_and_deleting_a_hook_is_audited_with_who_did_it_and_never_its_secret()
    {
        const string secret = "a-secret-nobody-may-read-back";
        var created = await SendAsync(HttpMethod.Post, "/api/v1/hooks",
            new { url = "http://127.0.0.1:9/never-called", secret, kind = "model", name = Unique("unused"), events = new[] { "archived" } });
        var hook = created.Body["hook"]!["id"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, $"/api/v1/hooks/{hook}", null)).Status);

        // Still readable once the hook is gone.
        var audit = (await GetAsync($"/api/v1/hooks/{hook}/audit")).AsArray();
        Assert.Equal(["hook_created", "hook_deleted"], audit.Select(a => a!["action"]!.GetValue<string>()));
        Assert.All(audit, a => Assert.Equal("bootstrap", a!["actor"]!.GetValue<string>()));
        Assert.Equal(["archived"], audit[0]!["after"]!["events"]!.AsArray().Select(e => e!.GetValue<string>()));
        Assert.Equal(hook, audit[1]!["before"]!["id"]!.GetValue<string>());
        Assert.Null(audit[1]!["after"]);
        Assert.DoesNotContain(secret, audit.ToJsonString());
        AssertError(await SendAsync(HttpMethod.Get, "/api/v1/hooks/not-a-hook/audit", null), 404, "NOT_FOUND");
    }

    private const string Signature = "X-Aip-Signature";

    /// <summary>An HTTP listener on 127.0.0.1 that records each call and answers from a queue (200 when it is empty).</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly LoopbackHttpServer _server;

        public Receiver() => _server = new LoopbackHttpServer(AnswerAsync);

        public string Url => _server.BaseUrl.ToString();
        public ConcurrentQueue<(int Status, string Body)> Answers { get; } = new();
        public ConcurrentQueue<(Dictionary<string, string> Headers, byte[] Body)> Calls { get; } = new();

        private async Task AnswerAsync(HttpListenerContext context, byte[] body)
        {
            Calls.Enqueue((context.Request.Headers.AllKeys.ToDictionary(k => k!, k => context.Request.Headers[k]!), body));
            var (status, text) = Answers.TryDequeue(out var answer) ? answer : (200, "{}");
            context.Response.StatusCode = status;
            await context.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(text));
        }

        public ValueTask DisposeAsync() => _server.DisposeAsync();
    }
}
