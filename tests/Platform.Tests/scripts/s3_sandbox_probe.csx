// On a lake on S3: tries the broker and the S3 endpoint directly (the sandbox has no network), then writes a dataset
// of `rows` rows through the lake (which reaches S3 through its worker's relay).
async Task<object> Run(string input, string output, ScriptParams p)
{
    var direct = new
    {
        broker = Attempt("127.0.0.1", p.GetInt("broker_port", 0)),
        s3_endpoint = Attempt("127.0.0.1", p.GetInt("s3_port", 0)),
    };
    var rows = p.GetInt("rows", 0);
    var schema = new Schema([new Field("value", LanceType.Int64, false)]);
    await using var writer = Context.Lake.CreateDatasetWriter(output, schema, WriteMode.Overwrite);
    await writer.WriteAsync(new RecordBatch(schema, [new Int64Column(Enumerable.Range(0, rows).Select(i => (long)i).ToArray())]));
    await writer.CommitAsync();
    return new { direct.broker, direct.s3_endpoint, rows };
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
