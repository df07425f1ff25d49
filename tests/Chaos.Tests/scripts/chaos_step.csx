// One step of the chaos suite's workload: works for `seconds`, and with `rows` writes a dataset named by the task's
// output in four batches `batch_pause` seconds apart (so a fault can land mid-write), then returns what it did.
async Task<object> Run(string input, string output, ScriptParams p)
{
    var seconds = p.GetDouble("seconds", 1);
    var rows = p.GetInt("rows", 0);
    var batchPause = TimeSpan.FromSeconds(p.GetDouble("batch_pause", 0.2));
    var started = DateTime.UtcNow;
    while ((DateTime.UtcNow - started).TotalSeconds < seconds)
    {
        await Task.Delay(100, Context.CancellationToken);
        Context.Progress(Math.Min(1, (DateTime.UtcNow - started).TotalSeconds / seconds), "working");
    }
    if (rows > 0)
    {
        var schema = new Schema([new Field("value", LanceType.Int64, false)]);
        await using var writer = Context.Lake.CreateDatasetWriter(output, schema, WriteMode.Overwrite);
        for (var batch = 0; batch < 4; batch++)
        {
            var values = Enumerable.Range(batch * rows / 4, rows / 4).Select(i => (long)i).ToArray();
            await writer.WriteAsync(new RecordBatch(schema, [new Int64Column(values)]));
            await Task.Delay(batchPause, Context.CancellationToken);
        }
        await writer.CommitAsync();
    }
    return new { seconds, rows, attempt = Context.Attempt };
}
