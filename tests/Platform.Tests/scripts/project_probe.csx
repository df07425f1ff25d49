// Tries to reach outside its project: another project's dataset through the lake API, lake folders on disk, and
// another project's compiled-script cache. params: dataset (a name in another project), other_lake (that project's lake
// folder), lake_root (the whole lake's folder), other_cache (another project's script cache)
async Task<object> Run(string input, string output, ScriptParams p)
{
    var dataset = p.GetString("dataset")!;
    return new
    {
        lake_api = await AttemptAsync(async () => $"opened {(await Context.Lake.OpenDatasetAsync(dataset)).CountRows} rows"),
        other_lake_on_disk = Attempt(() => $"{Directory.EnumerateFileSystemEntries(p.GetString("other_lake")!, "*", SearchOption.AllDirectories).Count()} entries"),
        whole_lake_on_disk = Attempt(() => string.Join(",", Directory.EnumerateFileSystemEntries(p.GetString("lake_root")!).Select(Path.GetFileName).Order())),
        plant_in_other_cache = Attempt(() =>
        {
            File.WriteAllText(Path.Combine(p.GetString("other_cache")!, $"planted-{Guid.NewGuid():N}.dll"), "planted");
            return "written";
        }),
    };
}

static string Attempt(Func<string> action)
{
    try
    {
        return action();
    }
    catch (Exception e)
    {
        return e.GetType().Name;
    }
}

static async Task<string> AttemptAsync(Func<Task<string>> action)
{
    try
    {
        return await action();
    }
    catch (Exception e)
    {
        return e.GetType().Name;
    }
}
