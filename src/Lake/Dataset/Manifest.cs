using System.Buffers.Binary;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Format;

namespace AiPlatform.Lake.Dataset;

public sealed record DataFile(string Path, int[] FieldIds, long SizeBytes);

public sealed record Fragment(long Id, IReadOnlyList<DataFile> Files, long PhysicalRows);

/// <summary>One version of a dataset: its schema and the fragments (data files) that make it up.</summary>
public sealed record Manifest(Schema Schema, IReadOnlyList<Fragment> Fragments, long Version, DateTimeOffset Timestamp, long MaxFragmentId,
    string? TransactionFile)
{
    private const string WriterLibrary = "aiplatform-lake";

    public long Rows => Fragments.Sum(f => f.PhysicalRows);

    /// <summary>The manifest file: [u32 len][Manifest protobuf][i64 position][u16 0][u16 2]["LANC"].</summary>
    public byte[] Serialize()
    {
        var message = new ProtoWriter();
        for (var i = 0; i < Schema.Fields.Count; i++) message.Message(1, LanceFileWriter.FieldMessage(Schema.Fields[i], i));
        foreach (var fragment in Fragments) message.Message(2, FragmentMessage(fragment));
        message.Varint(3, (ulong)Version);
        var ticks = Timestamp.ToUnixTimeMilliseconds();
        message.Message(7, new ProtoWriter().Int(1, ticks / 1000).Int(2, ticks % 1000 * 1_000_000));
        message.Varint(11, (ulong)MaxFragmentId);
        message.String(12, TransactionFile);
        message.Message(13, new ProtoWriter().String(1, WriterLibrary).String(2, "1.0.0"));
        message.Message(15, new ProtoWriter().String(1, "lance").String(2, "2.0"));

        var body = message.ToArray();
        using var output = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)body.Length);
        output.Write(length);
        output.Write(body);
        Span<byte> footer = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(footer, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(footer[8..], 0);
        BinaryPrimitives.WriteUInt16LittleEndian(footer[10..], 2);
        "LANC"u8.CopyTo(footer[12..]);
        output.Write(footer);
        return output.ToArray();
    }

    /// <summary>lance.table.DataFragment; data files name their fields by schema position.</summary>
    internal static ProtoWriter FragmentMessage(Fragment fragment)
    {
        var message = new ProtoWriter().Varint(1, (ulong)fragment.Id);
        foreach (var file in fragment.Files)
            message.Message(2, new ProtoWriter()
                .String(1, file.Path)
                .Packed(2, file.FieldIds.Select(id => (ulong)id))
                .Packed(3, file.FieldIds.Select((_, index) => (ulong)index))
                .Varint(4, 2)
                .Varint(6, (ulong)file.SizeBytes));
        return message.Varint(4, (ulong)fragment.PhysicalRows);
    }

    public static Manifest Parse(byte[] file)
    {
        if (file.Length < 20 || !file.AsSpan(file.Length - 4).SequenceEqual("LANC"u8)) throw new InvalidDataException("not a Lance manifest");
        var position = (int)BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(file.Length - 16));
        var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(position));
        var reader = new ProtoReader(file.AsSpan(position + 4, length));
        var fields = new List<(int Id, int Parent, Field Field)>();
        var fragments = new List<Fragment>();
        long version = 0, maxFragmentId = 0;
        var timestamp = DateTimeOffset.UnixEpoch;
        string? transaction = null;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: fields.Add(ParseField(reader.Bytes())); break;
                case 2: fragments.Add(ParseFragment(reader.Bytes())); break;
                case 3: version = reader.Int64(); break;
                case 7: timestamp = ParseTimestamp(reader.Bytes()); break;
                case 11: maxFragmentId = reader.Int64(); break;
                case 12: transaction = reader.String(); break;
                default: reader.Skip(); break;
            }
        }
        var topLevel = fields.Where(f => f.Parent == -1).OrderBy(f => f.Id).ToList();
        var schema = new Schema(topLevel.Select(f => f.Field).ToList());
        // Data files name fields by id; keep ids positional to the schema, which is how this library writes them.
        var idToIndex = topLevel.Select((f, i) => (f.Id, i)).ToDictionary(x => x.Id, x => x.i);
        fragments = fragments.Select(f => f with
        {
            Files = f.Files.Select(d => d with { FieldIds = d.FieldIds.Select(id => idToIndex.GetValueOrDefault(id, -1)).ToArray() }).ToList(),
        }).ToList();
        return new Manifest(schema, fragments, version, timestamp, maxFragmentId, transaction);
    }

    private static (int Id, int Parent, Field Field) ParseField(ReadOnlySpan<byte> bytes)
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
                case 3: id = (int)reader.Int64(); break;
                case 4: parent = (int)reader.Int64(); break;
                case 5: logical = reader.String(); break;
                case 6: nullable = reader.Varint() != 0; break;
                default: reader.Skip(); break;
            }
        }
        return (id, parent, new Field(name, LanceType.Parse(logical), nullable));
    }

    private static Fragment ParseFragment(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        long id = 0, rows = 0;
        var files = new List<DataFile>();
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: id = reader.Int64(); break;
                case 2: files.Add(ParseDataFile(reader.Bytes())); break;
                case 3: throw new NotSupportedException("fragments with deletion files are not supported yet");
                case 4: rows = reader.Int64(); break;
                default: reader.Skip(); break;
            }
        }
        return new Fragment(id, files, rows);
    }

    private static DataFile ParseDataFile(ReadOnlySpan<byte> bytes)
    {
        var reader = new ProtoReader(bytes);
        var path = "";
        var fields = new List<ulong>();
        long size = 0;
        while (reader.Next())
        {
            switch (reader.Field)
            {
                case 1: path = reader.String(); break;
                case 2: reader.Repeated(fields); break;
                case 6: size = reader.Int64(); break;
                default: reader.Skip(); break;
            }
        }
        return new DataFile(path, fields.Select(f => (int)f).ToArray(), size);
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
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100);
    }
}
