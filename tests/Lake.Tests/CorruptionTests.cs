using System.Buffers.Binary;
using System.Text;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Catalog;
using AiPlatform.Lake.Dataset;
using AiPlatform.Lake.ObjectStore;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Lake.Tests;

/// <summary>
/// Seeded corruption of real datasets (one written here, one by LanceDB with a deletion file): truncated files, deleted
/// files and byte flips in data-file footers, column metadata and manifests. Every case must end in an exception that
/// names the damaged file, or in exactly the original rows; none may hang. Page data itself carries no checksum in
/// Lance 2.0, so flips inside page buffers are out of scope.
/// </summary>
public sealed class CorruptionTests(ITestOutputHelper output)
{
    private const int Seed = 20261201;
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    private sealed record Case(string Kind, string File, Action<string> Damage);

    [Fact]
    public async Task Every_seeded_corruption_ends_in_an_error_naming_the_file_or_in_the_original_rows()
    {
        var root = Path.Combine(Path.GetTempPath(), "aiplatform-lake-tests", Guid.NewGuid().ToString("N"));
        var original = Path.Combine(root, "original");
        var catalog = new LakeCatalog(new LocalObjectStore(original));
        for (var part = 0; part < 3; part++)
        {
            await using var writer = catalog.CreateDatasetWriter("ours", Samples.AllTypes, part == 0 ? WriteMode.Create : WriteMode.Append);
            await writer.WriteAsync(Samples.Batch(part * 200, 200));
            await writer.CommitAsync();
        }
        var theirsUri = Path.Combine(original, "datasets");
        LanceDbOracle.Write(theirsUri, "theirs", "create", 0, 400, dictionary: true);
        LanceDbOracle.Run("delete", theirsUri, "theirs", "i64 < 10000000070");

        var random = new Random(Seed);
        var failures = new List<string>();
        int refused = 0, unchanged = 0, cases = 0;
        foreach (var table in new[] { "ours", "theirs" })
        {
            var dataset = await catalog.OpenDatasetAsync(table);
            var expected = Canonical(await dataset.ReadAsync());
            foreach (var damage in CasesFor(original, table, dataset.Version, random))
            {
                cases++;
                var copy = Path.Combine(root, $"case-{cases}");
                CopyFolder(original, copy);
                damage.Damage(Path.Combine(copy, "datasets", $"{table}.lance", damage.File));
                var outcome = await RunCaseAsync(new LakeCatalog(new LocalObjectStore(copy)), table, dataset.Version, expected);
                Directory.Delete(copy, recursive: true);
                if (outcome is null) unchanged++;
                else if (outcome.Contains(Path.GetFileName(damage.File)) || (damage.Kind == "deleted manifest" && outcome.Contains("has no version"))) refused++;
                else failures.Add($"{table} {damage.Kind} {damage.File}: {outcome}");
            }
        }
        output.WriteLine($"{cases} cases: {refused} refused naming the file, {unchanged} read the original rows, {failures.Count} wrong");
        Assert.True(cases >= 300, $"only {cases} cases");
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(20)));
    }

    /// <summary>null when the rows equal the original; otherwise the error message (or a description of the wrong rows).</summary>
    private static async Task<string?> RunCaseAsync(LakeCatalog catalog, string table, long version, string expected)
    {
        var run = Task.Run(async () =>
        {
            try
            {
                var dataset = await catalog.OpenDatasetAsync(table, version);
                var whole = Canonical(await dataset.ReadAsync());
                var batches = new List<RecordBatch>();
                await foreach (var batch in dataset.ReadBatchesAsync(97)) batches.Add(batch);
                if (batches.Sum(b => (long)b.Length) != dataset.CountRows) return $"batches held {batches.Sum(b => b.Length)} of {dataset.CountRows} rows";
                if (whole != expected) return "rows differ from the original";
                var batched = batches.Count == 0 ? whole : Canonical(new RecordBatch(batches[0].Schema,
                    batches[0].Schema.Fields.Select((f, c) => ColumnConcat.Concat(f.Type, batches.Select(b => b.Columns[c]).ToList())).ToList()));
                return batched == expected ? null : "batched rows differ from the original";
            }
            catch (Exception e)
            {
                return $"{e.GetType().Name}: {e.Message}";
            }
        });
        return await Task.WhenAny(run, Task.Delay(HangLimit)) == run ? await run : $"hung for {HangLimit.TotalSeconds} s";
    }

    private static IEnumerable<Case> CasesFor(string root, string table, long version, Random random)
    {
        var folder = Path.Combine(root, "datasets", $"{table}.lance");
        var manifest = Path.Combine("_versions", Versions.ManifestName(version));
        var dataFiles = Directory.GetFiles(Path.Combine(folder, "data")).Select(f => Path.GetRelativePath(folder, f)).ToList();
        var deletionFiles = Directory.Exists(Path.Combine(folder, "_deletions"))
            ? Directory.GetFiles(Path.Combine(folder, "_deletions")).Select(f => Path.GetRelativePath(folder, f)).ToList()
            : [];
        foreach (var file in dataFiles.Concat(deletionFiles).Append(manifest))
        {
            var length = new FileInfo(Path.Combine(folder, file)).Length;
            for (var i = 0; i < 8; i++)
            {
                var keep = random.NextInt64(0, length);
                yield return new Case("truncated", file, path => Truncate(path, keep));
            }
            yield return new Case(file == manifest ? "deleted manifest" : "deleted", file, File.Delete);
        }
        foreach (var file in dataFiles)
        {
            var bytes = File.ReadAllBytes(Path.Combine(folder, file));
            var metadataStart = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(bytes.Length - 40));
            for (var i = 0; i < 12; i++) yield return Flip("footer flip", file, bytes.Length - 40 + random.Next(40), random);
            for (var i = 0; i < 25; i++) yield return Flip("column metadata flip", file, random.NextInt64(metadataStart, bytes.Length - 40), random);
        }
        var manifestLength = new FileInfo(Path.Combine(folder, manifest)).Length;
        for (var i = 0; i < 70; i++) yield return Flip("manifest flip", manifest, random.NextInt64(0, manifestLength), random);
    }

    private static Case Flip(string kind, string file, long offset, Random random)
    {
        var mask = (byte)random.Next(1, 256);
        return new Case($"{kind} at {offset} ^ 0x{mask:x2}", file, path =>
        {
            var bytes = File.ReadAllBytes(path);
            bytes[offset] ^= mask;
            File.WriteAllBytes(path, bytes);
        });
    }

    private static void Truncate(string path, long length)
    {
        using var file = new FileStream(path, FileMode.Open);
        file.SetLength(length);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    private static string Canonical(RecordBatch batch)
    {
        var text = new StringBuilder();
        // Names and nullability are left out: a flipped letter renames a column and a flipped flag makes a column without
        // nulls non-nullable, which no Lance 2.0 manifest can detect (no checksum); the values must stay the same.
        text.AppendJoin(",", batch.Schema.Fields.Select(f => f.Type.ToString())).Append('\n');
        for (var row = 0; row < batch.Length; row++)
            text.AppendJoin("|", batch.Columns.Select(c => OracleRows.Value(c, row)?.ToJsonString() ?? "null")).Append('\n');
        return text.ToString();
    }
}
