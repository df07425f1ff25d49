using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Platform.Tests;

/// <summary>
/// Seeded fuzzing of the request bodies through the real gateway: whatever arrives, the answer is a 4xx in the error
/// envelope (or a success), never a 5xx.
/// </summary>
[Collection(PlatformCollection.Name)]
public sealed class RequestFuzzTests(PlatformFixture platform, ITestOutputHelper output)
{
    [Fact]
    public async Task Predict_bodies_never_get_a_5xx()
    {
        var seed = FuzzSettings.Seed;
        var random = new Random(seed);
        var pngs = new PngMutator(random);
        var statuses = new Dictionary<int, int>();
        var cases = FuzzSettings.Cases(600);
        for (var i = 0; i < cases; i++)
        {
            var body = Garble(random, PredictBody(random, pngs));
            var (status, text) = await PostAsync($"/api/v1/tasks/{Guid.NewGuid()}/predict", body);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            // An unknown task is 404 once the body has been found well-formed.
            AssertErrorEnvelope(status, text, [400, 404, 413], $"seed {seed} case {i}: {Shorten(body)}");
        }
        output.WriteLine($"{cases} predict bodies (seed {seed}): " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}x {s.Key}")));
        Assert.True(statuses.GetValueOrDefault(400) > 0 && statuses.GetValueOrDefault(404) > 0,
            "the fuzzer should produce both refused and well-formed bodies");
    }

    [Fact]
    public async Task Task_submissions_never_get_a_5xx()
    {
        var seed = FuzzSettings.Seed + 1;
        var random = new Random(seed);
        var statuses = new Dictionary<int, int>();
        var cases = FuzzSettings.Cases(400);
        for (var i = 0; i < cases; i++)
        {
            var body = Garble(random, SubmitBody(random));
            var (status, text) = await PostAsync("/api/v1/tasks", body);
            statuses[status] = statuses.GetValueOrDefault(status) + 1;
            if (status == 201)
            {
                // Nothing in the pools names a runnable script or model, but clean up should one ever get through.
                await platform.Http.PostAsync($"/api/v1/tasks/{JsonNode.Parse(text)!["id"]}/cancel", null);
                continue;
            }
            AssertErrorEnvelope(status, text, [400, 404, 409, 413], $"seed {seed} case {i}: {Shorten(body)}");
        }
        output.WriteLine($"{cases} task submissions (seed {seed}): " + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Value}x {s.Key}")));
    }

    private async Task<(int Status, string Text)> PostAsync(string path, string body)
    {
        while (true)
        {
            using var response = await platform.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.TooManyRequests) return ((int)response.StatusCode, text);
            // The gateway's rate limit is part of what is tested elsewhere; here it only paces the fuzzer.
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
        }
    }

    private static void AssertErrorEnvelope(int status, string text, int[] allowed, string what)
    {
        Assert.True(allowed.Contains(status), $"{what} answered {status}: {text}");
        var error = JsonNode.Parse(text)?["error"];
        Assert.True(error?["code"] is not null && error["message"] is not null, $"{what} answered {status} without the error envelope: {text}");
    }

    private static string PredictBody(Random random, PngMutator pngs)
    {
        JsonNode? Image() => random.Next(9) switch
        {
            0 => Convert.ToBase64String(pngs.Valid()),
            1 or 2 or 3 => Convert.ToBase64String(pngs.Damaged()),
            4 => "data:image/png;base64," + Convert.ToBase64String(pngs.Damaged()),
            5 => Convert.ToBase64String(RandomBytes(random, random.Next(2) == 0 ? 784 : random.Next(2000))),
            6 => new JsonArray(Enumerable.Range(0, random.Next(2) == 0 ? 784 : random.Next(1000)).Select(_ => Number(random)).ToArray()),
            7 => RandomText(random),
            _ => AnyValue(random),
        };
        var body = random.Next(3) switch
        {
            0 => new JsonObject { ["images"] = new JsonArray(Enumerable.Range(0, random.Next(0, 6)).Select(_ => Image()).ToArray()) },
            1 => new JsonObject { ["image"] = Image(), ["images"] = AnyValue(random) },
            _ => new JsonObject { ["image"] = Image() },
        };
        return body.ToJsonString();
    }

    private static string SubmitBody(Random random)
    {
        string[] types = ["ingestion", "training", "inference", "mining", "", "Training"];
        string[] names = ["ok-name", "abc\n", "\nabc", "a b", "x", new string('n', 129), "ünïcode", "-lead", "../up", ""];
        string[] scripts = ["fuzz-missing.csx", "../echo.csx", "/etc/passwd", "nested/../../x.csx", "echo.txt", "~/x.csx", "a\0b.csx", ""];
        string[] locations = ["fashion", "/etc", "../../../etc", "s3://other-bucket/x", "file:///etc/passwd", ""];
        var body = new JsonObject
        {
            ["type"] = random.Next(5) == 0 ? AnyValue(random) : types[random.Next(types.Length)],
            ["name"] = random.Next(5) == 0 ? AnyValue(random) : names[random.Next(names.Length)] + random.Next(1000),
            ["script"] = random.Next(5) == 0 ? AnyValue(random) : scripts[random.Next(scripts.Length)],
            ["input"] = random.Next(4) == 0 ? AnyValue(random) : locations[random.Next(locations.Length)],
            ["output"] = random.Next(4) == 0 ? AnyValue(random) : "fuzz-out",
            ["model"] = random.Next(4) == 0 ? AnyValue(random) : "fuzz-no-such-model",
            ["device"] = random.Next(4) == 0 ? AnyValue(random) : "cpu",
            ["params"] = random.Next(3) == 0 ? AnyValue(random) : new JsonObject { ["epochs"] = Number(random), ["batch_size"] = Number(random) },
        };
        foreach (var field in body.Select(p => p.Key).ToList())
            if (random.Next(6) == 0) body.Remove(field);
        return body.ToJsonString();
    }

    private static JsonNode? AnyValue(Random random) => random.Next(7) switch
    {
        0 => null,
        1 => Number(random),
        2 => random.Next(2) == 0,
        3 => RandomText(random),
        4 => new JsonArray(Enumerable.Range(0, random.Next(4)).Select(_ => (JsonNode?)RandomText(random)).ToArray()),
        5 => new JsonObject { [RandomText(random)] = Number(random) },
        _ => new string('x', random.Next(2) == 0 ? 5000 : 70_000),
    };

    private static JsonNode Number(Random random) => random.Next(6) switch
    {
        0 => JsonValue.Create(random.NextDouble())!,
        1 => JsonValue.Create(-random.Next())!,
        2 => JsonValue.Create(long.MaxValue)!,
        3 => JsonValue.Create(1e300)!,
        4 => JsonValue.Create(0)!,
        _ => JsonValue.Create(random.Next(2))!,
    };

    private static string RandomText(Random random) =>
        new(Enumerable.Range(0, random.Next(0, 24)).Select(_ => (char)random.Next(0, 0x2FF)).ToArray());

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Text-level damage to a well-formed body: cut, spliced, nested deep, or a value turned into a bare token.</summary>
    private static string Garble(Random random, string json)
    {
        switch (random.Next(8))
        {
            case 0: return json[..random.Next(json.Length + 1)];
            case 1:
            {
                var at = random.Next(json.Length + 1);
                const string tokens = "{}[]\":,\\\u0000e-+9nultrufalse";
                return json[..at] + tokens[random.Next(tokens.Length)] + json[at..];
            }
            case 2: return new string('[', random.Next(60, 300)) + new string(']', random.Next(0, 300));
            case 3: return json.Replace(":", ":NaN,\"x\":", StringComparison.Ordinal);
            case 4: return "{\"image\":" + json + ",\"image\":" + json + "}";
            default: return json;
        }
    }

    private static string Shorten(string body) => body.Length > 300 ? body[..300] + $"... ({body.Length} chars)" : body;
}
