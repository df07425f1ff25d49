using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace AiPlatform.Platform.Tests.Infrastructure;

/// <summary>Concurrent clients predicting with one service back to back until stopped, keeping every answer in order.</summary>
public sealed class PredictionLoad : IAsyncDisposable
{
    public sealed record Answer(HttpStatusCode Status, string Body, string? Version, string? ServedBy);

    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Answer> _answers = new();
    private readonly Task[] _clients;

    private PredictionLoad(HttpClient http, Guid service, int clients) =>
        _clients = Enumerable.Range(0, clients).Select(client => Task.Run(async () =>
        {
            for (var id = client * 1_000_000; !_stop.IsCancellationRequested; id++) _answers.Enqueue(await PredictAsync(http, service, id));
        })).ToArray();

    public static PredictionLoad Start(PlatformFixture platform, Guid service, int clients) => new(platform.Http, service, clients);

    public static async Task<Answer> PredictAsync(HttpClient http, Guid service, int id)
    {
        using var response = await http.PostAsync($"/api/v1/tasks/{service}/predict",
            new StringContent($$"""{"id": {{id}}}""", Encoding.UTF8, "application/json"));
        return new Answer(response.StatusCode, await response.Content.ReadAsStringAsync(), Header(response, "X-Model-Version"), Header(response, "X-Served-By"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : null;

    /// <summary>Returns once an answer that arrived after this call names <paramref name="version"/>.</summary>
    public async Task WaitForVersionAsync(string version, TimeSpan patience)
    {
        var seen = _answers.Count;
        var deadline = DateTime.UtcNow + patience;
        while (!_answers.Skip(seen).Any(a => a.Version == version))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no answer from {version} within {patience.TotalSeconds} s");
            if (_clients.FirstOrDefault(c => c.IsFaulted) is { } failed) await failed;
            await Task.Delay(20);
        }
    }

    public async Task<IReadOnlyList<Answer>> StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_clients);
        return _answers.ToList();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAsync();
    }
}
