// From inside a worker container's sandbox: tries the broker and the database containers (the runner has no network),
// then writes a dataset of `rows` rows to the lake in S3 (reached through its worker's relay).
async Task<object> Run(string input, string output, ScriptParams p)
{
    var broker = Attempt("rabbitmq", 5672);
    var database = Attempt("postgres", 5432);
    var rows = p.GetInt("rows", 0);
    var schema = new Schema([new Field("value", LanceType.Int64, false)]);
    await using var writer = Context.Lake.CreateDatasetWriter(output, schema, WriteMode.Overwrite);
    await writer.WriteAsync(new RecordBatch(schema, [new Int64Column(Enumerable.Range(0, rows).Select(i => (long)i).ToArray())]));
    await writer.CommitAsync();
    return new { broker, database, rows, user = Environment.UserName };
}

static string Attempt(string host, int port)
{
    try
    {
        using var client = new System.Net.Sockets.TcpClient();
        client.Connect(host, port);
        return "connected";
    }
    catch (Exception e)
    {
        return e.GetType().Name;
    }
}
