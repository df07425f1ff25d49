using System.Buffers.Binary;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Format;

namespace AiPlatform.Lake.Dataset;

/// <summary>
/// The manifest file (lance.table.Manifest, field numbers from the format's table.proto):
/// <c>[u32 len][IndexSection]? [u32 len][Manifest] [i64 manifest position][u16 0][u16 2]["LANC"]</c>.
/// Reading validates what a wrong value would silently change (names, field tree, counts); writing an append carries
/// over the previous manifest's fields this library does not model.
/// </summary>
internal static class ManifestFile
{
    private const int Fields = 1, Fragments = 2, VersionField = 3, AuxData = 4, IndexSectionField = 6, Timestamp = 7, ReaderFlags = 9,
        WriterFlags = 10, MaxFragmentId = 11, TransactionFileField = 12, WriterVersion = 13, NextRowId = 14, DataFormat = 15,
        TransactionSection = 21;

    /// <summary>Fields rewritten for every new version; all others of the previous manifest are copied on append.</summary>
    private static readonly HashSet<int> Rewritten =
        [Fragments, VersionField, AuxData, IndexSectionField, Timestamp, MaxFragmentId, TransactionFileField, WriterVersion, NextRowId, TransactionSection];

    public static Manifest Read(byte[] file, string source)
    {
        try
        {
            return Parse(file);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{source}: {e.Message}", e);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Parsing touches no I/O: any failure (bad lengths, overflowing ids, invalid UTF-8) means a corrupt file.
            throw new InvalidDataException($"{source} is corrupt: {e.Message}", e);
        }
    }

    private static Manifest Parse(byte[] file)
    {
        if (file.Length < 20 || !file.AsSpan(file.Length - 4).SequenceEqual("LANC"u8)) throw new InvalidDataException("not a Lance manifest (no LANC magic)");
        var position = BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(file.Length - 16));
        if (position < 0 || position > file.Length - 20) throw new InvalidDataException($"manifest position {position} is outside the file");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)position));
        if (position + 4 + length != file.Length - 16)
            throw new InvalidDataException($"manifest block at {position} of {length} bytes does not end where the footer starts");
        var body = file.AsSpan((int)position + 4, (int)length);
        var reader = new ProtoReader(body);
        var fields = new List<RawField>();
        var fragments = new List<(Fragment Fragment, byte[] Raw)>();
        long version = 0, maxFragmentId = 0, nextRowId = 0;
        ulong readerFlags = 0, writerFlags = 0;
        var timestamp = DateTimeOffset.UnixEpoch;
        string? transaction = null;
        var storageVersion = "2.0";
        byte[]? indexSection = null;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case Fields: fields.Add(ParseField(reader.Bytes())); break;
                case Fragments:
                {
                    var raw = reader.Bytes();
                    fragments.Add((ParseFragment(raw), raw.ToArray()));
                    break;
                }
                case VersionField: version = reader.Int64(); break;
                case IndexSectionField: indexSection = ReadBlock(file, reader.Varint(), position, "index section"); break;
                case Timestamp: timestamp = ParseTimestamp(reader.Bytes()); break;
                case ReaderFlags: readerFlags = reader.Varint(); break;
                case WriterFlags: writerFlags = reader.Varint(); break;
                case MaxFragmentId: maxFragmentId = reader.Int64(); break;
                case TransactionFileField: transaction = reader.String(); break;
                case NextRowId: nextRowId = reader.Int64(); break;
                case DataFormat: storageVersion = ParseStorageVersion(reader.Bytes()); break;
                default: reader.Skip(); break;
            }
        }
        if ((readerFlags & ~ManifestState.ReadableFlags) != 0)
            throw new NotSupportedException($"the table needs reader features 0x{readerFlags & ~ManifestState.ReadableFlags:x} this library does not support");

        var topLevel = ValidateFieldTree(fields);
        var schema = new Schema(topLevel.Select(f => f.ToField()).ToList());
        var idToIndex = topLevel.Select((f, i) => (f.Id, i)).ToDictionary(x => x.Id, x => x.i);
        var duplicateFragment = fragments.GroupBy(f => f.Fragment.Id).FirstOrDefault(g => g.Count() > 1);
        if (duplicateFragment is not null) throw new InvalidDataException($"fragment id {duplicateFragment.Key} appears twice");
        var resolved = fragments.Select(f => Resolve(f.Fragment, idToIndex)).ToList();
        var state = new ManifestState(body.ToArray(), topLevel.Select(f => f.Id).ToList(), fragments.ToDictionary(f => f.Fragment.Id, f => f.Raw),
            indexSection, readerFlags, writerFlags, nextRowId);
        return new Manifest(schema, resolved, version, timestamp, maxFragmentId, transaction) { StorageVersion = storageVersion, State = state };
    }

    private sealed record RawField(int Id, int Parent, string Name, string LogicalType, bool Nullable)
    {
        public Field ToField()
        {
            try
            {
                return new Field(Name, LanceType.Parse(LogicalType), Nullable);
            }
            catch (NotSupportedException e)
            {
                throw new NotSupportedException($"column '{Name}': {e.Message}");
            }
        }
    }

    /// <summary>Ids unique and non-negative, every parent present, no cycle; returns the top-level fields in schema order.</summary>
    private static List<RawField> ValidateFieldTree(List<RawField> fields)
    {
        var byId = new Dictionary<int, RawField>();
        foreach (var field in fields)
        {
            if (field.Id < 0) throw new InvalidDataException($"field '{field.Name}' has the negative id {field.Id}");
            if (!byId.TryAdd(field.Id, field)) throw new InvalidDataException($"field id {field.Id} is used by '{byId[field.Id].Name}' and '{field.Name}'");
            if (field.Name.Length == 0) throw new InvalidDataException($"field {field.Id} has an empty name");
        }
        foreach (var field in fields)
        {
            if (field.Parent == -1) continue;
            if (!byId.TryGetValue(field.Parent, out var parent))
                throw new InvalidDataException($"field '{field.Name}' (id {field.Id}) names parent id {field.Parent}, which no field has");
            var seen = new HashSet<int> { field.Id };
            for (var up = parent; up.Parent != -1; up = byId.TryGetValue(up.Parent, out var next) ? next
                     : throw new InvalidDataException($"field '{up.Name}' names parent id {up.Parent}, which no field has"))
                if (!seen.Add(up.Id)) throw new InvalidDataException($"field ids form a cycle through '{up.Name}' (id {up.Id})");
            throw new NotSupportedException(
                $"column '{parent.Name}' ({parent.LogicalType}) has the child field '{field.Name}'; nested types are not supported");
        }
        return fields.Where(f => f.Parent == -1).ToList();
    }

    private static Fragment Resolve(Fragment fragment, Dictionary<int, int> idToIndex)
    {
        if (fragment.PhysicalRows < 0) throw new InvalidDataException($"fragment {fragment.Id} claims {fragment.PhysicalRows} rows");
        if (fragment.Deletions is { } deletions && (deletions.DeletedRows < 0 || deletions.DeletedRows > fragment.PhysicalRows))
            throw new InvalidDataException($"fragment {fragment.Id} deletes {deletions.DeletedRows} of its {fragment.PhysicalRows} rows");
        var files = fragment.Files.Select(file =>
        {
            if (file.Path.Length == 0) throw new InvalidDataException($"fragment {fragment.Id} has a data file without a path");
            if (file.ColumnIndices is { Length: > 0 } columns && columns.Length != file.FieldIds.Length)
                throw new InvalidDataException($"data file {file.Path} lists {file.FieldIds.Length} fields but {columns.Length} column indices");
            var duplicate = file.FieldIds.GroupBy(id => id).FirstOrDefault(g => g.Key >= 0 && g.Count() > 1);
            if (duplicate is not null) throw new InvalidDataException($"data file {file.Path} lists field id {duplicate.Key} twice");
            return file with { FieldIds = file.FieldIds.Select(id => idToIndex.GetValueOrDefault(id, -1)).ToArray() };
        }).ToList();
        foreach (var index in idToIndex.Values)
            if (files.Count(f => f.FieldIds.Contains(index)) > 1)
                throw new InvalidDataException($"fragment {fragment.Id} stores field {index} in more than one data file");
        return fragment with { Files = files, MissingColumnsSuspect = MissingColumnsSuspect(fragment, idToIndex) };
    }

    /// <summary>
    /// Lance gives a new field the next id above every id in the schema and the data files, so a column legitimately
    /// added after a fragment was written has an id above all of that fragment's file ids, with only schema ids
    /// between. A column missing from a fragment any other way means damaged ids: reading it as nulls would be wrong.
    /// </summary>
    private static bool MissingColumnsSuspect(Fragment fragment, Dictionary<int, int> idToIndex)
    {
        var fileIds = fragment.Files.SelectMany(f => f.FieldIds).Where(id => id >= 0).ToHashSet();
        var largestFileId = fileIds.Count == 0 ? -1 : fileIds.Max();
        bool AddedLater(int id) => id > largestFileId && Enumerable.Range(largestFileId + 1, id - largestFileId - 1).All(idToIndex.ContainsKey);
        return idToIndex.Keys.Where(id => !fileIds.Contains(id)).Any(id => !AddedLater(id));
    }

    private static byte[] ReadBlock(byte[] file, ulong position, long manifestPosition, string what)
    {
        if (position > (ulong)(manifestPosition - 4)) throw new InvalidDataException($"{what} position {position} is outside the file");
        var length = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan((int)position));
        if ((long)position + 4 + length > manifestPosition) throw new InvalidDataException($"{what} of {length} bytes at {position} overlaps the manifest");
        return file.AsSpan((int)position + 4, (int)length).ToArray();
    }

    private static RawField ParseField(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        string name = "", logical = "";
        int id = 0, parent = -1;
        var nullable = false;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 2: name = reader.String(); break;
                case 3: id = checked((int)reader.Int64()); break;
                case 4: parent = checked((int)reader.Int64()); break;
                case 5: logical = reader.String(); break;
                case 6: nullable = reader.Varint() != 0; break;
                default: reader.Skip(); break;
            }
        }
        return new RawField(id, parent, name, logical, nullable);
    }

    private static Fragment ParseFragment(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        long id = 0, rows = 0;
        var files = new List<DataFile>();
        DeletionFile? deletions = null;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: id = reader.Int64(); break;
                case 2: files.Add(ParseDataFile(reader.Bytes())); break;
                case 3: deletions = ParseDeletionFile(reader.Bytes()); break;
                case 4: rows = reader.Int64(); break;
                default: reader.Skip(); break;
            }
        }
        return new Fragment(id, files, rows, deletions);
    }

    private static DeletionFile ParseDeletionFile(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        long readVersion = 0, deleted = 0;
        ulong kind = 0, id = 0;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: kind = reader.Varint(); break;
                case 2: readVersion = reader.Int64(); break;
                case 3: id = reader.Varint(); break;
                case 4: deleted = reader.Int64(); break;
                case 7: throw new NotSupportedException("deletion files under another base path are not supported");
                default: reader.Skip(); break;
            }
        }
        if (kind > 1) throw new InvalidDataException($"deletion file kind {kind} is unknown");
        return new DeletionFile((DeletionFileKind)kind, readVersion, id, deleted);
    }

    private static DataFile ParseDataFile(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var path = "";
        var fields = new List<ulong>();
        var columns = new List<ulong>();
        long size = 0;
        int major = 0, minor = 0;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: path = reader.String(); break;
                case 2: reader.Repeated(fields); break;
                case 3: reader.Repeated(columns); break;
                case 4: major = reader.Count(); break;
                case 5: minor = reader.Count(); break;
                case 6: size = reader.Int64(); break;
                case 7: throw new NotSupportedException($"data file {path} lives under another base path, which is not supported");
                default: reader.Skip(); break;
            }
        }
        // A damaged path must fail here, naming the manifest, not later as a bad object key naming a file that never existed.
        if (path.Length == 0 || path.Any(char.IsControl) || path.StartsWith('/') || path.Split('/').Contains(".."))
            throw new InvalidDataException($"data file path \"{string.Concat(path.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()))}\" is not a relative path under data/");
        // Field ids are int32 on the wire: -1 and -2 arrive as 64-bit two's complement.
        return new DataFile(path, fields.Select(f => unchecked((int)(long)f)).ToArray(), size,
            columns.Count == 0 ? null : columns.Select(c => checked((int)c)).ToArray(), major, minor);
    }

    private static string ParseStorageVersion(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var version = "2.0";
        while (reader.Next())
        {
            if (reader.Field == 2) version = reader.String();
            else reader.Skip();
        }
        return version;
    }

    private static DateTimeOffset ParseTimestamp(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        long seconds = 0, nanos = 0;
        while (reader.Next())
        {
            if (reader.Field == 1) seconds = reader.Int64();
            else if (reader.Field == 2) nanos = reader.Int64();
            else reader.Skip();
        }
        if (seconds is < -62135596800 or > 253402300799) throw new InvalidDataException($"timestamp {seconds} s is out of range");
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
    }

    public static byte[] Write(Manifest manifest, string writerLibrary)
    {
        var state = manifest.State;
        var message = new ProtoWriter();
        if (state is null)
            for (var i = 0; i < manifest.Schema.Fields.Count; i++) message.Message(Fields, LanceFileWriter.FieldMessage(manifest.Schema.Fields[i], i));
        else
            CopyKept(state.Body, message);
        foreach (var fragment in manifest.Fragments)
        {
            if (state is not null && state.RawFragments.TryGetValue(fragment.Id, out var raw)) message.Bytes(Fragments, raw);
            else message.Message(Fragments, Manifest.FragmentMessage(fragment, state?.FieldIds));
        }
        message.Varint(VersionField, (ulong)manifest.Version);
        var millis = manifest.Timestamp.ToUnixTimeMilliseconds();
        message.Message(Timestamp, new ProtoWriter().Int(1, millis / 1000).Int(2, millis % 1000 * 1_000_000));
        message.VarintAlways(MaxFragmentId, (ulong)manifest.MaxFragmentId);
        message.String(TransactionFileField, manifest.TransactionFile);
        message.Message(WriterVersion, new ProtoWriter().String(1, writerLibrary).String(2, "1.0.0"));
        if (state is null) message.Message(DataFormat, new ProtoWriter().String(1, "lance").String(2, "2.0"));
        else message.Varint(NextRowId, (ulong)state.NextRowId);

        using var output = new MemoryStream();
        if (state?.IndexSection is { } indexSection)
        {
            message.VarintAlways(IndexSectionField, (ulong)output.Position);
            WriteBlock(output, indexSection);
        }
        var position = output.Position;
        WriteBlock(output, message.ToArray());
        Span<byte> footer = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(footer, position);
        BinaryPrimitives.WriteUInt16LittleEndian(footer[8..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(footer[10..], 2);
        "LANC"u8.CopyTo(footer[12..]);
        output.Write(footer);
        return output.ToArray();
    }

    private static void WriteBlock(Stream output, byte[] block)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)block.Length);
        output.Write(length);
        output.Write(block);
    }

    /// <summary>Copies every field of the previous manifest that is not rewritten per version, bytes unchanged.</summary>
    private static void CopyKept(byte[] body, ProtoWriter into)
    {
        var reader = new ProtoReader(body);
        while (reader.Next())
        {
            var field = reader.Field;
            var wire = reader.WireType;
            if (wire == 0)
            {
                var value = reader.Varint();
                if (!Rewritten.Contains(field)) into.VarintAlways(field, value);
            }
            else if (wire == 2)
            {
                var bytes = reader.Bytes();
                if (!Rewritten.Contains(field)) into.Bytes(field, bytes);
            }
            else throw new InvalidDataException($"manifest field {field} has wire type {wire}, which Lance manifests do not use");
        }
    }
}
