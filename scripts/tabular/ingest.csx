// CSV ingestion: a header row, then one row per example; every column but the label is a numeric feature.
// `input` is the folder (or s3:// prefix) holding the file; `output` the dataset to write (features as one
// fixed-size list column, label, split). Fields are split on commas (no quoted fields); numbers use '.' as decimal point.
//
// params: file ("data.csv"), label_column ("label"), test_ratio (0.2), seed (1)
// result: rows, train_rows, test_rows, features, classes, dataset, version
using System.Globalization;

async Task<object> Run(string input, string output, ScriptParams p)
{
    if (string.IsNullOrWhiteSpace(input)) throw new ArgumentException("input must name the folder (or s3:// prefix) holding the CSV file");
    if (string.IsNullOrWhiteSpace(output)) throw new ArgumentException("output must name the dataset to write");
    var file = p.GetString("file", "data.csv")!;
    var labelColumn = p.GetString("label_column", "label")!;
    var testRatio = p.GetDouble("test_ratio", 0.2);
    if (testRatio is < 0 or > 1) throw new ArgumentException("test_ratio must be between 0 and 1");
    var random = new Random(p.GetInt("seed", 1));

    using var reader = new StreamReader(await Context.OpenLocation(input).OpenAsync(file));
    var header = (await reader.ReadLineAsync())?.Split(',').Select(h => h.Trim()).ToArray()
        ?? throw new InvalidDataException($"{file} is empty: it needs a header row");
    var labelIndex = Array.IndexOf(header, labelColumn);
    if (labelIndex < 0) throw new InvalidDataException($"{file} has no column '{labelColumn}'; its columns are {string.Join(", ", header)}");
    var featureCount = header.Length - 1;

    var features = new List<float>();
    var labels = new List<long>();
    var splits = new List<string>();
    var lineNumber = 1;
    while (await reader.ReadLineAsync() is { } line)
    {
        lineNumber++;
        Context.CancellationToken.ThrowIfCancellationRequested();
        if (line.Trim().Length == 0) continue;
        var fields = line.Split(',');
        if (fields.Length != header.Length) throw new InvalidDataException($"{file} line {lineNumber}: {fields.Length} fields, the header has {header.Length}");
        for (var j = 0; j < fields.Length; j++)
        {
            if (j == labelIndex)
            {
                if (!long.TryParse(fields[j].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var label) || label < 0)
                    throw new InvalidDataException($"{file} line {lineNumber}: label '{fields[j]}' is not a class number (0, 1, 2...)");
                labels.Add(label);
            }
            else if (float.TryParse(fields[j].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value))
                features.Add(value);
            else throw new InvalidDataException($"{file} line {lineNumber}: column '{header[j]}' value '{fields[j]}' is not a number");
        }
        splits.Add(random.NextDouble() < testRatio ? "test" : "train");
    }
    if (labels.Count == 0) throw new InvalidDataException($"{file} has a header but no rows");

    var schema = new Schema([
        new Field("features", LanceType.FixedSizeListFloat32(featureCount), false),
        new Field("label", LanceType.Int64, false),
        new Field("split", LanceType.Utf8, false),
    ]);
    await using var writer = Context.Lake.CreateDatasetWriter(output, schema, WriteMode.Overwrite);
    await writer.WriteAsync(new RecordBatch(schema, [
        new FixedSizeListFloat32Column(featureCount, features.ToArray()), new Int64Column(labels.ToArray()), StringColumn.From(splits)]));
    var version = await writer.CommitAsync();
    Context.Progress(1, $"{labels.Count} rows", new { rows = labels.Count });
    return new
    {
        rows = labels.Count, train_rows = splits.Count(s => s == "train"), test_rows = splits.Count(s => s == "test"),
        features = featureCount, classes = labels.Max() + 1, dataset = output, version,
    };
}
