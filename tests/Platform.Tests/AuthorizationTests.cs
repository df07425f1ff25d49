using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;

namespace AiPlatform.Platform.Tests;

[Collection(PlatformCollection.Name)]
public sealed class AuthorizationTests(PlatformFixture platform)
{
    private const string Viewer = "viewer", Operator = "operator", Admin = "admin";
    private static readonly string[] RolesAscending = [Viewer, Operator, Admin];

    /// <summary>
    /// The role each endpoint needs. Every endpoint of the OpenAPI document must be listed, so a new endpoint cannot
    /// ship without someone deciding who may call it.
    /// </summary>
    private static readonly Dictionary<string, string> RequiredRole = new()
    {
        ["GET /api/v1/me"] = Viewer,
        ["GET /api/v1/projects"] = Viewer,
        ["POST /api/v1/alerts"] = Operator,
        ["GET /api/v1/alerts"] = Viewer,
        ["POST /api/v1/stream/tickets"] = Viewer,
        ["POST /api/v1/keys"] = Admin,
        ["GET /api/v1/keys"] = Admin,
        ["DELETE /api/v1/keys/{id}"] = Admin,
        ["POST /api/v1/tasks"] = Operator,
        ["GET /api/v1/tasks"] = Viewer,
        ["GET /api/v1/tasks/{id}"] = Viewer,
        ["GET /api/v1/tasks/{id}/events"] = Viewer,
        ["POST /api/v1/tasks/{id}/cancel"] = Operator,
        ["POST /api/v1/tasks/{id}/rerun"] = Operator,
        ["POST /api/v2/pipelines"] = Operator,
        ["GET /api/v2/pipelines"] = Viewer,
        ["GET /api/v2/pipelines/{id}"] = Viewer,
        ["POST /api/v2/pipelines/{id}/execute"] = Operator,
        ["GET /api/v2/pipelines/{id}/status"] = Viewer,
        ["GET /api/v2/pipelines/{id}/runs"] = Viewer,
        ["GET /api/v2/pipelines/{id}/schedule"] = Viewer,
        ["PUT /api/v2/pipelines/{id}/schedule"] = Operator,
        ["DELETE /api/v2/pipelines/{id}/schedule"] = Admin,
        ["GET /api/v2/templates"] = Viewer,
        ["GET /api/v2/templates/{name}"] = Viewer,
        ["POST /api/v2/templates/{name}/execute"] = Operator,
        ["GET /api/v2/runs/{id}"] = Viewer,
        ["POST /api/v2/runs/{id}/cancel"] = Operator,
        ["POST /api/v2/runs/{id}/resume"] = Operator,
        ["POST /api/v1/tasks/{id}/predict"] = Operator,
        ["GET /api/v1/datasets"] = Viewer,
        ["GET /api/v1/datasets/{id}"] = Viewer,
        ["DELETE /api/v1/datasets/{id}"] = Admin,
        ["GET /api/v1/models"] = Viewer,
        ["GET /api/v1/models/{id}"] = Viewer,
        ["DELETE /api/v1/models/{id}"] = Admin,
        ["GET /api/v1/queues"] = Viewer,
        ["GET /api/v1/workers"] = Viewer,
        ["GET /api/v1/datasets/{name}/versions"] = Viewer,
        ["GET /api/v1/datasets/{name}/versions/{version}"] = Viewer,
        ["POST /api/v1/datasets/{name}/versions/{version}/stage"] = Operator,
        ["GET /api/v1/datasets/{name}/aliases"] = Viewer,
        ["PUT /api/v1/datasets/{name}/aliases/{alias}"] = Operator,
        ["DELETE /api/v1/datasets/{name}/aliases/{alias}"] = Admin,
        ["POST /api/v1/datasets/{name}/rollback"] = Operator,
        ["GET /api/v1/datasets/{name}/audit"] = Viewer,
        ["POST /api/v1/datasets/{name}/versions/{version}/archive"] = Operator,
        ["POST /api/v1/datasets/{name}/versions/{version}/restore"] = Operator,
        ["DELETE /api/v1/datasets/{name}/versions/{version}"] = Admin,
        ["GET /api/v1/datasets/{name}/retention"] = Viewer,
        ["PUT /api/v1/datasets/{name}/retention"] = Operator,
        ["GET /api/v1/models/{name}/versions"] = Viewer,
        ["GET /api/v1/models/{name}/versions/{version}"] = Viewer,
        ["POST /api/v1/models/{name}/versions/{version}/stage"] = Operator,
        ["GET /api/v1/models/{name}/aliases"] = Viewer,
        ["PUT /api/v1/models/{name}/aliases/{alias}"] = Operator,
        ["DELETE /api/v1/models/{name}/aliases/{alias}"] = Admin,
        ["POST /api/v1/models/{name}/rollback"] = Operator,
        ["GET /api/v1/models/{name}/audit"] = Viewer,
        ["POST /api/v1/models/{name}/versions/{version}/archive"] = Operator,
        ["POST /api/v1/models/{name}/versions/{version}/restore"] = Operator,
        ["DELETE /api/v1/models/{name}/versions/{version}"] = Admin,
        ["GET /api/v1/models/{name}/retention"] = Viewer,
        ["PUT /api/v1/models/{name}/retention"] = Operator,
        ["GET /api/v1/lineage"] = Viewer,
        ["POST /api/v1/hooks"] = Admin,
        ["GET /api/v1/hooks"] = Admin,
        ["GET /api/v1/hooks/{id}"] = Admin,
        ["DELETE /api/v1/hooks/{id}"] = Admin,
        ["GET /api/v1/hooks/{id}/deliveries"] = Admin,
        ["GET /api/v1/hooks/{id}/audit"] = Admin,
        ["GET /api/v2/cluster/nodes"] = Admin,
        ["GET /api/v2/cluster/resources"] = Admin,
        ["POST /api/v2/cluster/scale"] = Admin,
    };

    /// <summary>Cluster-wide endpoints: a key held to one project is refused them whatever its role.</summary>
    private static readonly HashSet<string> EveryProjectOnly =
    [
        "POST /api/v1/alerts", "POST /api/v1/keys", "GET /api/v1/keys", "DELETE /api/v1/keys/{id}",
        "POST /api/v1/hooks", "GET /api/v1/hooks", "GET /api/v1/hooks/{id}", "DELETE /api/v1/hooks/{id}", "GET /api/v1/hooks/{id}/deliveries",
        "GET /api/v1/hooks/{id}/audit", "GET /api/v2/cluster/nodes", "GET /api/v2/cluster/resources", "POST /api/v2/cluster/scale",
    ];

    /// <summary>Endpoints the OpenAPI document leaves out: the event stream and the document itself.</summary>
    private static readonly Dictionary<string, string> Undocumented = new()
    {
        ["GET /api/v1/stream"] = Viewer,
        ["GET /openapi/v1.json"] = Viewer,
    };

    [Fact]
    public async Task Every_endpoint_answers_each_role_as_the_matrix_says()
    {
        var documented = await DocumentedEndpointsAsync();
        Assert.True(documented.SetEquals(RequiredRole.Keys),
            $"endpoints without a row in the authorization matrix: [{string.Join(", ", documented.Except(RequiredRole.Keys))}]; " +
            $"rows for endpoints no longer documented: [{string.Join(", ", RequiredRole.Keys.Except(documented))}]");

        var keys = new Dictionary<string, string>
        {
            [Viewer] = await platform.CreateKeyAsync(UniqueName("matrix-viewer"), Viewer),
            [Operator] = await platform.CreateKeyAsync(UniqueName("matrix-operator"), Operator),
            [Admin] = platform.AdminKey,
        };
        // An admin of another project: everything of its own project, nothing cluster-wide (what it may not see of
        // another project's resources is the isolation test's).
        var otherProjectAdmin = await platform.CreateKeyAsync(UniqueName("matrix-elsewhere"), Admin, project: "matrix-elsewhere");
        var failures = new List<string>();
        foreach (var (endpoint, required) in RequiredRole.Concat(Undocumented))
        {
            using (var anonymous = platform.Client(null))
            {
                var status = await CallAsync(anonymous, endpoint);
                if (status != HttpStatusCode.Unauthorized) failures.Add($"{endpoint} without a key: {(int)status}, expected 401");
            }
            foreach (var role in RolesAscending)
            {
                using var client = platform.Client(keys[role]);
                var status = await CallAsync(client, endpoint);
                var allowed = Array.IndexOf(RolesAscending, role) >= Array.IndexOf(RolesAscending, required);
                if (allowed && status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.InternalServerError)
                    failures.Add($"{endpoint} as {role}: {(int)status}, expected it to be allowed");
                if (!allowed && status != HttpStatusCode.Forbidden)
                    failures.Add($"{endpoint} as {role}: {(int)status}, expected 403 (needs {required})");
            }
            using (var elsewhere = platform.Client(otherProjectAdmin))
            {
                var status = await CallAsync(elsewhere, endpoint);
                if (EveryProjectOnly.Contains(endpoint) && status != HttpStatusCode.Forbidden)
                    failures.Add($"{endpoint} with another project's admin key: {(int)status}, expected 403 (cluster-wide)");
                if (!EveryProjectOnly.Contains(endpoint) && status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.InternalServerError)
                    failures.Add($"{endpoint} with another project's admin key: {(int)status}, expected it to be allowed in its own project");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task Refusals_come_in_the_error_envelope_and_say_what_is_missing()
    {
        using var anonymous = platform.Client(null);
        using var noKey = await anonymous.GetAsync("/api/v1/tasks");
        Assert.Equal(HttpStatusCode.Unauthorized, noKey.StatusCode);
        Assert.Equal("Bearer", noKey.Headers.WwwAuthenticate.Single().Scheme);
        var (code, message) = await ApiErrorTests.ReadErrorAsync(noKey);
        Assert.Equal("UNAUTHENTICATED", code);
        Assert.Contains("X-Api-Key", message);

        using var viewer = platform.Client(await platform.CreateKeyAsync(UniqueName("refused"), Viewer));
        using var forbidden = await viewer.DeleteAsync("/api/v1/datasets/anything");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        (code, message) = await ApiErrorTests.ReadErrorAsync(forbidden);
        Assert.Equal("FORBIDDEN", code);
        Assert.Contains("admin", message);

        using var wrongKey = platform.Client("aip_" + new string('x', 43));
        using var unknown = await wrongKey.GetAsync("/api/v1/tasks");
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Contains("unknown or revoked", (await ApiErrorTests.ReadErrorAsync(unknown)).Message);
    }

    [Fact]
    public async Task An_admin_creates_a_key_that_is_shown_once_and_a_revoked_key_is_refused_at_once()
    {
        var name = UniqueName("ci-operator");
        using var created = await platform.Http.PostAsJsonAsync("/api/v1/keys", new { name, role = Operator });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = JsonNode.Parse(await created.Content.ReadAsStringAsync())!;
        var key = body["key"]!.GetValue<string>();
        var id = body["id"]!.GetValue<Guid>();
        Assert.StartsWith(body["prefix"]!.GetValue<string>(), key);
        Assert.True(key.Length >= 40, key);

        using var client = platform.Client(key);
        var me = await client.GetFromJsonAsync<JsonNode>("/api/v1/me");
        Assert.Equal(name, me!["name"]!.GetValue<string>());
        Assert.Equal(Operator, me["role"]!.GetValue<string>());
        // The same key works as X-Api-Key too.
        using (var header = platform.Client(null))
        {
            header.DefaultRequestHeaders.Add("X-Api-Key", key);
            using var viaHeader = await header.GetAsync("/api/v1/me");
            Assert.Equal(HttpStatusCode.OK, viaHeader.StatusCode);
        }

        var listing = await platform.Http.GetStringAsync("/api/v1/keys");
        Assert.DoesNotContain(key, listing);
        var listed = JsonNode.Parse(listing)!.AsArray().Single(k => k!["id"]!.GetValue<Guid>() == id)!;
        Assert.Equal(name, listed["name"]!.GetValue<string>());
        Assert.Null(listed["revoked_at"]);

        using (var duplicate = await platform.Http.PostAsJsonAsync("/api/v1/keys", new { name, role = Viewer }))
        {
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
            Assert.Equal("KEY_NAME_TAKEN", (await ApiErrorTests.ReadErrorAsync(duplicate)).Code);
        }
        using (var badRole = await platform.Http.PostAsJsonAsync("/api/v1/keys", new { name = UniqueName("x"), role = "root" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
            Assert.Contains("'role'", (await ApiErrorTests.ReadErrorAsync(badRole)).Message);
        }

        // Used once more right before revoking, so the gateway has it cached: revocation must still act at once.
        using (var warm = await client.GetAsync("/api/v1/tasks?limit=1")) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        using (var revoke = await platform.Http.DeleteAsync($"/api/v1/keys/{id}")) Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        using (var after = await client.GetAsync("/api/v1/tasks?limit=1")) Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);

        var revoked = (await platform.Http.GetFromJsonAsync<JsonArray>("/api/v1/keys"))!.Single(k => k!["id"]!.GetValue<Guid>() == id)!;
        Assert.NotNull(revoked["revoked_at"]);
        using (var missing = await platform.Http.DeleteAsync($"/api/v1/keys/{Guid.NewGuid()}"))
            Assert.Equal("KEY_NOT_FOUND", (await ApiErrorTests.ReadErrorAsync(missing)).Code);
        // The name is free again once its key is revoked.
        await platform.CreateKeyAsync(name, Viewer);
    }

    [Fact]
    public async Task A_task_records_the_key_that_submitted_it()
    {
        var keyName = UniqueName("submitter");
        using var client = platform.Client(await platform.CreateKeyAsync(keyName, Operator));
        using var response = await client.PostAsJsonAsync("/api/v1/tasks", new { type = "ingestion", name = UniqueName("attributed"), script = "echo.csx" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();
        var task = await platform.WaitForStatusAsync(id, TimeSpan.FromSeconds(60), "completed");
        Assert.Equal(keyName, task["submitted_by"]!.GetValue<string>());
    }

    [Fact]
    public async Task Identity_provider_tokens_carry_their_role_and_user()
    {
        using var operatorClient = platform.Client(TestIdentityProvider.Token("alice", [Operator]));
        var me = await operatorClient.GetFromJsonAsync<JsonNode>("/api/v1/me");
        Assert.Equal("alice", me!["name"]!.GetValue<string>());
        Assert.Equal(Operator, me["role"]!.GetValue<string>());
        using var submitted = await operatorClient.PostAsJsonAsync("/api/v1/tasks", new { type = "ingestion", name = UniqueName("jwt"), script = "echo.csx" });
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        var id = JsonNode.Parse(await submitted.Content.ReadAsStringAsync())!["id"]!.GetValue<Guid>();
        Assert.Equal("alice", (await platform.GetTaskAsync(id))["submitted_by"]!.GetValue<string>());
        using (var delete = await operatorClient.DeleteAsync("/api/v1/models/anything")) Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);

        using (var viewer = platform.Client(TestIdentityProvider.Token("bob", [Viewer])))
        using (var refused = await viewer.PostAsJsonAsync("/api/v1/tasks", new { type = "ingestion", name = UniqueName("jwt"), script = "echo.csx" }))
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using (var noRole = platform.Client(TestIdentityProvider.Token("carol", [])))
        using (var refused = await noRole.GetAsync("/api/v1/tasks"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Contains("no platform role", (await ApiErrorTests.ReadErrorAsync(refused)).Message);
        }

        using var otherKey = RSA.Create(2048);
        var rejected = new Dictionary<string, string>
        {
            ["expired"] = TestIdentityProvider.Token("alice", [Admin], lifetime: TimeSpan.FromMinutes(-6)),
            ["foreign issuer"] = TestIdentityProvider.Token("alice", [Admin], issuer: "https://elsewhere.invalid"),
            ["foreign signature"] = TestIdentityProvider.Token("alice", [Admin], signedWith: otherKey),
        };
        foreach (var (why, token) in rejected)
        {
            using var client = platform.Client(token);
            using var response = await client.GetAsync("/api/v1/tasks");
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{why} token answered {(int)response.StatusCode}");
            Assert.Equal("UNAUTHENTICATED", (await ApiErrorTests.ReadErrorAsync(response)).Code);
        }
    }

    [Fact]
    public async Task The_event_stream_opens_with_a_single_use_ticket_and_only_there()
    {
        using var viewer = platform.Client(await platform.CreateKeyAsync(UniqueName("stream"), Viewer));
        var ticket = (await (await viewer.PostAsync("/api/v1/stream/tickets", null)).Content.ReadFromJsonAsync<JsonNode>())!["ticket"]!.GetValue<string>();
        using var anonymous = platform.Client(null);

        using (var elsewhere = await anonymous.GetAsync($"/api/v1/tasks?ticket={ticket}"))
            Assert.Equal(HttpStatusCode.Unauthorized, elsewhere.StatusCode);
        using (var stream = await anonymous.GetAsync($"/api/v1/stream?ticket={ticket}", HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
            Assert.Equal("text/event-stream", stream.Content.Headers.ContentType!.MediaType);
        }
        using (var reused = await anonymous.GetAsync($"/api/v1/stream?ticket={ticket}", HttpCompletionOption.ResponseHeadersRead))
            Assert.Equal(HttpStatusCode.Unauthorized, reused.StatusCode);
    }

    [Fact]
    public async Task Foreign_hosts_foreign_origins_and_non_JSON_bodies_are_refused()
    {
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/tasks"))
        {
            request.Headers.Host = "gateway.evil.invalid";
            using var response = await platform.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("gateway.evil.invalid", (await ApiErrorTests.ReadErrorAsync(response)).Message);
        }
        using (var request = new HttpRequestMessage(HttpMethod.Delete, "/api/v1/datasets/anything"))
        {
            request.Headers.Add("Origin", "https://evil.invalid");
            using var response = await platform.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
        foreach (var contentType in new[] { null, "text/plain", "application/x-www-form-urlencoded" })
        {
            var content = new StringContent("""{"type":"ingestion","name":"x","script":"echo.csx"}""", Encoding.UTF8);
            content.Headers.ContentType = contentType is null ? null : new MediaTypeHeaderValue(contentType);
            using var response = await platform.Http.PostAsync("/api/v1/tasks", content);
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
            Assert.Equal("UNSUPPORTED_MEDIA_TYPE", (await ApiErrorTests.ReadErrorAsync(response)).Code);
        }
    }

    [Fact]
    public async Task Health_and_the_page_assets_stay_open()
    {
        using var anonymous = platform.Client(null);
        foreach (var path in new[] { "/healthz", "/", "/app.js", "/auth.js", "/app.css" })
        {
            using var response = await anonymous.GetAsync(path);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path} answered {(int)response.StatusCode}");
        }
    }

    private async Task<HashSet<string>> DocumentedEndpointsAsync()
    {
        var document = await platform.Http.GetFromJsonAsync<JsonNode>("/openapi/v1.json");
        return document!["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Select(operation => $"{operation.Key.ToUpperInvariant()} {path.Key}"))
            .ToHashSet();
    }

    /// <summary>Calls an endpoint with made-up ids and an empty JSON object as body: enough to pass or fail authorization, never to change anything.</summary>
    private static async Task<HttpStatusCode> CallAsync(HttpClient client, string endpoint)
    {
        var (method, path) = (endpoint[..endpoint.IndexOf(' ')], endpoint[(endpoint.IndexOf(' ') + 1)..]);
        using var request = new HttpRequestMessage(new HttpMethod(method), System.Text.RegularExpressions.Regex.Replace(path, "{[a-z_]+}", _ => "matrix-" + Guid.NewGuid().ToString("N")[..8]));
        if (method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return response.StatusCode;
    }

    private static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
