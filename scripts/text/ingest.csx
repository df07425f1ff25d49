// Text ingestion from fortune cookie files (Debian's `fortunes` package: /usr/share/games/fortunes), or any folder (or
// s3:// prefix) of UTF-8 files in that format: texts separated by lines holding only "%". Each text becomes a row of a
// new version of the Lance dataset <output> (text, source file, split); files of no text are skipped.
//
// params: files (every file but strfile's .dat/.u8 indexes; or names, comma-separated: "computers,science"),
//         test_ratio (0.1), seed (1), max_bytes (1000: longer texts, mostly ASCII art, are dropped),
//         max_texts (absent: all; N: the first N of each file, for quick runs)
// result: texts, train_texts, test_texts, bytes, dropped_texts, files, dataset, version
async Task<object> Run(string input, string output, ScriptParams p)
{
    if (string.IsNullOrWhiteSpace(input)) throw new ArgumentException("input must name the folder (or s3:// prefix) holding the text files");
    if (string.IsNullOrWhiteSpace(output)) throw new ArgumentException("output must name the dataset to write");
    var testRatio = p.GetDouble("test_ratio", 0.1);
    if (testRatio is < 0 or >= 1) throw new ArgumentException("test_ratio must be at least 0 and below 1");
    var maxBytes = p.GetInt("max_bytes", 1000);
    var maxTexts = p.GetInt("max_texts", int.MaxValue);
    if (maxBytes < 1 || maxTexts < 1) throw new ArgumentException("max_bytes and max_texts must be 1 or more");
    var random = new Random(p.GetInt("seed", 1));

    var source = Context.OpenLocation(input);
    var available = (await source.ListAsync()).Where(name => !name.EndsWith(".dat") && !name.EndsWith(".u8")).Order().ToList();
    var requested = (p.GetString("files") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    var unknown = requested.Except(available).ToList();
    if (unknown.Count > 0)
        throw new FileNotFoundException($"{input} has no file {string.Join(", ", unknown)}; it has {string.Join(", ", available)}");
    var files = requested.Length > 0 ? requested.Distinct().ToList() : available;
    if (files.Count == 0) throw new FileNotFoundException($"{input} holds no text files");

    var schema = new Schema([new Field("text", LanceType.Utf8, false), new Field("source", LanceType.Utf8, false), new Field("split", LanceType.Utf8, false)]);
    long texts = 0, train = 0, test = 0, bytes = 0, dropped = 0;
    await using var writer = Context.Lake.CreateDatasetWriter(output, schema, WriteMode.Overwrite);
    for (var f = 0; f < files.Count; f++)
    {
        Context.CancellationToken.ThrowIfCancellationRequested();
        string content;
        using (var reader = new StreamReader(await source.OpenAsync(files[f]), new UTF8Encoding(false, throwOnInvalidBytes: true)))
        {
            try { content = await reader.ReadToEndAsync(Context.CancellationToken); }
            catch (DecoderFallbackException) { throw new InvalidDataException($"{files[f]} is not UTF-8 text"); }
        }
        var fits = Split(content).ToLookup(t => Encoding.UTF8.GetByteCount(t) <= maxBytes);
        var kept = fits[true].Take(maxTexts).ToList();
        dropped += fits[false].Count();
        if (kept.Count == 0) continue;
        var splits = kept.Select(_ => random.NextDouble() < testRatio ? "test" : "train").ToList();
        // Every file with more than one text gives the test split one, so a small subset can still be scored.
        if (testRatio > 0 && kept.Count > 1 && !splits.Contains("test")) splits[^1] = "test";
        await writer.WriteAsync(new RecordBatch(schema, [StringColumn.From(kept), StringColumn.From(kept.Select(_ => files[f]).ToList()), StringColumn.From(splits)]),
            Context.CancellationToken);
        texts += kept.Count;
        test += splits.Count(s => s == "test");
        train += splits.Count(s => s == "train");
        bytes += kept.Sum(t => (long)Encoding.UTF8.GetByteCount(t));
        Context.Progress((double)(f + 1) / files.Count, $"{files[f]}: {kept.Count} texts ({f + 1} of {files.Count} files)", new { rows = texts, dropped });
    }
    if (texts == 0) throw new InvalidDataException($"no text of at most {maxBytes} bytes in {string.Join(", ", files)}");
    var version = await writer.CommitAsync(Context.CancellationToken);
    Context.Log($"{texts} texts ({bytes} bytes) from {files.Count} files; {dropped} longer than {maxBytes} bytes dropped");
    return new { texts, train_texts = train, test_texts = test, bytes, dropped_texts = dropped, files, dataset = output, version };
}

/// <summary>The texts of a fortune file: what stands between lines of a lone "%", without surrounding blank lines.</summary>
static List<string> Split(string content)
{
    var texts = new List<string>();
    var current = new StringBuilder();
    foreach (var line in content.Replace("\r\n", "\n").Split('\n'))
    {
        if (line == "%")
        {
            Flush();
            continue;
        }
        current.Append(line).Append('\n');
    }
    Flush();
    return texts;

    void Flush()
    {
        var text = current.ToString().Trim('\n');
        if (text.Trim().Length > 0) texts.Add(text);
        current.Clear();
    }
}
