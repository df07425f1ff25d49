// A model small enough for registry tests: reads dataset `input` and saves the sum of its values as the "weights" of
// a new version of model `output`. params: version (semantic version to register), parent (a model to start from)
async Task<object> Run(string input, string output, ScriptParams p)
{
    var dataset = await Context.Lake.OpenDatasetAsync(input, Context.CancellationToken);
    double sum = 0;
    await foreach (var batch in dataset.ReadBatchesAsync(1024, ["value"], ct: Context.CancellationToken))
        sum += batch.Column<Float64Column>("value").Values.Sum();
    if (p.GetString("parent") is { } parent) sum += BitConverter.ToDouble((await Context.Lake.LoadModelAsync(parent, Context.CancellationToken)).Weights);
    var saved = await Context.Lake.SaveModelAsync(output, "Sum", BitConverter.GetBytes(sum), metrics: new { sum }, parameters: p,
        version: p.GetString("version"), ct: Context.CancellationToken);
    return new { model = saved.ToString(), version = saved.SemanticVersion };
}
