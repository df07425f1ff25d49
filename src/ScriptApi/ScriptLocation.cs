using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.ScriptApi;

/// <summary>Input files in a folder or under an S3 prefix, addressed by name relative to it.</summary>
public sealed class ScriptLocation(IObjectStore store, string uri)
{
    public string Uri => uri;

    public async Task<bool> ExistsAsync(string name) => await store.SizeAsync(name) is not null;

    public Task<Stream> OpenAsync(string name) => store.OpenReadAsync(name);

    public async Task<IReadOnlyList<string>> ListAsync() => (await store.ListAsync("")).Select(o => o.Path).ToList();
}
