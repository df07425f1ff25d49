// Writes `rows` rows (value = row * scale) as a new version of dataset `output` through the script lake API, so the
// registry registers it. params: rows (10), scale (1)
async Task<object> Run(string input, string output, ScriptParams p)
{
    var rows = p.GetInt("rows", 10);
    var scale = p.GetDouble("scale", 1);
    var schema = new Schema(new Field("value", LanceType.Float64, false));
    await using var writer = Context.Lake.CreateDatasetWriter(output, schema);
    await writer.WriteAsync(new RecordBatch(schema, [new Float64Column(Enumerable.Range(0, rows).Select(i => i * scale).ToArray())]));
    return new { dataset = output, lance_version = await writer.CommitAsync() };
}
