using System.Buffers.Binary;
using Apache.Arrow;
using Apache.Arrow.Compression;
using Apache.Arrow.Ipc;
using AiPlatform.Lake.ObjectStore;

namespace AiPlatform.Lake.Dataset;

/// <summary>
/// Reads a fragment's deletion file into the sorted row offsets still visible: the array kind is an Arrow IPC file
/// with one uint32 column "row_id"; the bitmap kind is a Roaring bitmap in its portable serialization.
/// </summary>
internal static class DeletionVectors
{
    public static async Task<int[]> KeptRowsAsync(IObjectStore store, string datasetPath, Fragment fragment, CancellationToken ct)
    {
        var deletion = fragment.Deletions ?? throw new InvalidOperationException($"fragment {fragment.Id} has no deletion file");
        var path = $"{datasetPath}/{deletion.PathFor(fragment.Id)}";
        if (await store.SizeAsync(path, ct) is null) throw new FileNotFoundException($"deletion file {store.Uri(path)} is missing");
        var bytes = await store.ReadAsync(path, ct);
        HashSet<uint> deleted;
        try
        {
            deleted = deletion.Kind == DeletionFileKind.ArrowArray ? ReadArrow(bytes) : ReadRoaring(bytes);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new InvalidDataException($"{store.Uri(path)} is not a readable deletion file: {e.Message}", e);
        }
        if (deleted.Count != deletion.DeletedRows || deleted.Any(r => r >= fragment.PhysicalRows))
            throw new InvalidDataException(
                $"{store.Uri(path)} deletes {deleted.Count} rows (largest {(deleted.Count == 0 ? 0 : deleted.Max())}); the manifest says {deletion.DeletedRows} of {fragment.PhysicalRows}");
        var kept = new int[fragment.PhysicalRows - deleted.Count];
        var next = 0;
        for (var row = 0; row < fragment.PhysicalRows; row++)
            if (!deleted.Contains((uint)row)) kept[next++] = row;
        return kept;
    }

    private static HashSet<uint> ReadArrow(byte[] bytes)
    {
        using var reader = new ArrowFileReader(new MemoryStream(bytes), new CompressionCodecFactory());
        var deleted = new HashSet<uint>();
        var batches = 0;
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            using (batch)
            {
                batches++;
                if (batch.ColumnCount != 1 || batch.Column(0) is not UInt32Array rows)
                    throw new InvalidDataException("expected one uint32 column of deleted rows");
                for (var i = 0; i < rows.Length; i++)
                    if (!deleted.Add(rows.GetValue(i) ?? throw new InvalidDataException("a deleted row is null")))
                        throw new InvalidDataException($"row {rows.GetValue(i)} is deleted twice");
            }
        }
        if (batches != 1) throw new InvalidDataException($"expected one record batch, found {batches}");
        return deleted;
    }

    /// <summary>Roaring's portable format: cookie, container keys and cardinalities, offsets, then array/bitmap/run containers.</summary>
    private static HashSet<uint> ReadRoaring(byte[] bytes)
    {
        const uint NoRuns = 12346, WithRuns = 12347;
        var position = 0;
        uint U32() { var v = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position)); position += 4; return v; }
        ushort U16() { var v = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(position)); position += 2; return v; }
        var cookie = U32();
        int containers;
        byte[]? runFlags = null;
        if ((cookie & 0xFFFF) == WithRuns)
        {
            containers = (int)(cookie >> 16) + 1;
            runFlags = bytes.AsSpan(position, (containers + 7) / 8).ToArray();
            position += runFlags.Length;
        }
        else if (cookie == NoRuns) containers = checked((int)U32());
        else throw new InvalidDataException($"Roaring cookie {cookie} is unknown");
        if (containers > 65536) throw new InvalidDataException($"{containers} Roaring containers");
        var keys = new ushort[containers];
        var cardinalities = new int[containers];
        for (var i = 0; i < containers; i++)
        {
            keys[i] = U16();
            cardinalities[i] = U16() + 1;
        }
        if (runFlags is null || containers >= 4) position += 4 * containers;
        var deleted = new HashSet<uint>();
        for (var i = 0; i < containers; i++)
        {
            var high = (uint)keys[i] << 16;
            if (runFlags is not null && (runFlags[i >> 3] & (1 << (i & 7))) != 0)
            {
                var runs = U16();
                for (var r = 0; r < runs; r++)
                {
                    var start = U16();
                    var length = U16();
                    for (var v = 0; v <= length; v++) deleted.Add(high | (uint)(start + v));
                }
            }
            else if (cardinalities[i] <= 4096)
                for (var v = 0; v < cardinalities[i]; v++) deleted.Add(high | U16());
            else
            {
                for (var word = 0; word < 1024; word++)
                {
                    var bits = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(position));
                    position += 8;
                    for (var b = 0; b < 64; b++)
                        if ((bits & (1UL << b)) != 0) deleted.Add(high | (uint)(word * 64 + b));
                }
            }
        }
        if (position != bytes.Length) throw new InvalidDataException($"{bytes.Length - position} bytes follow the Roaring bitmap");
        return deleted;
    }
}
