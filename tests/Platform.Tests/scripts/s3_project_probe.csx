// On an S3 lake: writes `rows` rows to dataset `output` of its own project through the lake, then tries to open
// `dataset` under `other_root` (another project's lake) with the keys it runs with, bypassing the lake API as a script
// building its own S3 requests would.
async Task<object> Run(string input, string output, ScriptParams p)
{
    var schema = new Schema([new Field("value", LanceType.Int64, false)]);
    await using (var writer = Context.Lake.CreateDatasetWriter(output, schema, WriteMode.Overwrite))
    {
        await writer.WriteAsync(new RecordBatch(schema, [new Int64Column(Enumerable.Range(0, p.GetInt("rows", 10)).Select(i => (long)i).ToArray())]));
        await writer.CommitAsync();
    }
    var elsewhere = new AiPlatform.Lake.ObjectStore.LakeOptions
    {
        Root = p.GetString("other_root")!,
        S3ServiceUrl = Environment.GetEnvironmentVariable("S3__ServiceUrl"),
        S3AccessKey = Environment.GetEnvironmentVariable("S3__AccessKey"),
        S3SecretKey = Environment.GetEnvironmentVariable("S3__SecretKey"),
        S3Socket = Environment.GetEnvironmentVariable("S3__Socket"),
    };
    string other;
    try
    {
        other = $"opened {(await new AiPlatform.Lake.Catalog.LakeCatalog(elsewhere).OpenDatasetAsync(p.GetString("dataset")!)).CountRows} rows";
    }
    catch (Exception e)
    {
        // The S3 client's exception carries the store's answer as its StatusCode.
        other = $"{e.GetType().Name} {e.GetType().GetProperty("StatusCode")?.GetValue(e)}: {e.Message}";
    }
    return new { other };
}
