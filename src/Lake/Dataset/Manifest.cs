using System.Buffers.Binary;
using AiPlatform.Lake.Batches;
using AiPlatform.Lake.Format;

namespace AiPlatform.Lake.Dataset;

/// <summary>
/// One data file of a fragment. <paramref name="FieldIds"/> are schema positions of the columns it holds (-1 for a field
/// the current schema no longer has); <paramref name="ColumnIndices"/> say which column of the file holds each.
/// </summary>
public sealed record DataFile(string Path, int[] FieldIds, long SizeBytes, int[]? ColumnIndices = null, int FileMajorVersion = 2,
    int FileMinorVersion = 0)
{
    public string FileVersion => $"{FileMajorVersion}.{FileMinorVersion}";

    /// <summary>The column of the file holding the field at schema position <paramref name="fieldIndex"/>, or -1.</summary>
    public int ColumnOf(int fieldIndex)
    {
        var position = Array.IndexOf(FieldIds, fieldIndex);
        if (position < 0) return -1;
        return ColumnIndices is { Length: > 0 } indices ? indices[position] : position;
    }
}

/// <summary>Rows deleted from a fragment (by a delete or an update): <c>_deletions/{fragment}-{read_version}-{id}.{arrow|bin}</c>.</summary>
public sealed record DeletionFile(DeletionFileKind Kind, long ReadVersion, ulong Id, long DeletedRows)
{
    public string PathFor(long fragmentId) => $"_deletions/{fragmentId}-{ReadVersion}-{Id}.{(Kind == DeletionFileKind.ArrowArray ? "arrow" : "bin")}";
}

public enum DeletionFileKind
{
    /// <summary>An Arrow IPC file with one uint32 column of deleted row offsets.</summary>
    ArrowArray = 0,
    /// <summary>A serialized Roaring bitmap of deleted row offsets.</summary>
    Bitmap = 1,
}

public sealed record Fragment(long Id, IReadOnlyList<DataFile> Files, long PhysicalRows, DeletionFile? Deletions = null)
{
    /// <summary>Rows a reader sees: the physical rows less the deleted ones.</summary>
    public long Rows => PhysicalRows - (Deletions?.DeletedRows ?? 0);

    /// <summary>The stable row id of the first row, for new fragments of tables that use stable row ids.</summary>
    internal long? FirstRowId { get; init; }

    /// <summary>A column missing from this fragment cannot have been added after it was written: its ids are damaged.</summary>
    internal bool MissingColumnsSuspect { get; init; }
}

/// <summary>One version of a dataset: its schema and the fragments (data files) that make it up.</summary>
public sealed record Manifest(Schema Schema, IReadOnlyList<Fragment> Fragments, long Version, DateTimeOffset Timestamp, long MaxFragmentId,
    string? TransactionFile)
{
    private const string WriterLibrary = "aiplatform-lake";

    public long Rows => Fragments.Sum(f => f.Rows);

    /// <summary>The table's data storage version (<c>data_format.version</c>); "2.0" when a manifest does not say.</summary>
    public string StorageVersion { get; init; } = "2.0";

    /// <summary>The manifest as read, so an append can carry over what this library does not model (indices, metadata, row ids).</summary>
    internal ManifestState? State { get; init; }

    /// <summary>The manifest file: [u32 len][Manifest protobuf][i64 position][u16 0][u16 2]["LANC"].</summary>
    public byte[] Serialize() => ManifestFile.Write(this, WriterLibrary);

    /// <summary>lance.table.DataFragment; data files name their fields by schema position.</summary>
    internal static ProtoWriter FragmentMessage(Fragment fragment, IReadOnlyList<int>? fieldIds = null)
    {
        var message = new ProtoWriter().Varint(1, (ulong)fragment.Id);
        foreach (var file in fragment.Files)
            message.Message(2, new ProtoWriter()
                .String(1, file.Path)
                .Packed(2, file.FieldIds.Select(index => (ulong)(fieldIds?[index] ?? index)))
                .Packed(3, file.FieldIds.Select((_, position) => (ulong)(file.ColumnIndices is { Length: > 0 } c ? c[position] : position)))
                .Varint(4, (ulong)file.FileMajorVersion)
                .Varint(5, (ulong)file.FileMinorVersion)
                .Varint(6, (ulong)file.SizeBytes));
        message.Varint(4, (ulong)fragment.PhysicalRows);
        // lance.table.RowIdSequence { segments = [U64Segment { range = { start, end } }] }, inline.
        if (fragment.FirstRowId is { } first)
            message.Message(5, new ProtoWriter().Message(1, new ProtoWriter().Message(1,
                new ProtoWriter().Varint(1, (ulong)first).Varint(2, (ulong)(first + fragment.PhysicalRows)))));
        return message;
    }

    /// <summary>Parses and validates a manifest file; <paramref name="source"/> names it in every error.</summary>
    public static Manifest Parse(byte[] file, string source = "manifest") => ManifestFile.Read(file, source);
}
