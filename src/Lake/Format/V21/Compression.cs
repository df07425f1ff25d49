namespace AiPlatform.Lake.Format.V21;

/// <summary>Where a compressive encoding is used in a page, which decides how its data is laid out.</summary>
internal enum CompressionRole
{
    /// <summary>Values of a mini-block page: each chunk holds its own buffers.</summary>
    MiniBlockValues,

    /// <summary>One whole buffer: a chunk's definition levels, or a page's dictionary.</summary>
    Block,

    /// <summary>Values of a full-zip page: each row's value stored whole, after its control word.</summary>
    FullZipValues,
}

/// <summary>
/// A node of a 2.1/2.2 <c>CompressiveEncoding</c> tree that this reader fully understands. Parsing builds the tree and
/// refuses every node, option or placement it does not know, so a page that parses is a page that decodes exactly.
/// </summary>
internal abstract class Compression
{
    /// <summary>The encoding's name in the format's encodings proto, for error messages.</summary>
    public abstract string Name { get; }

    /// <summary>Buffers each mini-block chunk holds for this encoding.</summary>
    public virtual int ChunkBuffers => 1;

    public abstract bool Supports(CompressionRole role);

    /// <summary>Bits of each decoded value when they are fixed-width integers or floats; null otherwise.</summary>
    public virtual int? FixedBits => null;

    /// <summary>Appends the <paramref name="count"/> values of one mini-block chunk.</summary>
    public virtual void DecodeChunk(ReadOnlyMemory<byte>[] buffers, int count, ValueBuffer into) => DecodeBlock(buffers[0].Span, count, into);

    /// <summary>Appends the <paramref name="count"/> values of a whole buffer (or, for full-zip, of rows stored back to back).</summary>
    public virtual void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into) =>
        throw new InvalidOperationException($"{Name} is not parsed for whole buffers");

    /// <summary>Parses a <c>CompressiveEncoding</c> message for its place in the page.</summary>
    public static Compression Parse(ReadOnlySpan<byte> encoding, CompressionRole role)
    {
        var compression = Parse(encoding);
        if (!compression.Supports(role))
            throw new NotSupportedException($"{compression.Name} as {role switch
            {
                CompressionRole.Block => "a block (levels or dictionary)",
                CompressionRole.FullZipValues => "full-zip values",
                _ => "mini-block values",
            }}");
        return compression;
    }

    private static readonly string[] Names =
    [
        "", "flat", "variable", "constant", "out_of_line_bitpacking", "inline_bitpacking", "fsst", "dictionary", "rle",
        "byte_stream_split", "general", "fixed_size_list", "packed_struct", "variable_packed_struct",
    ];

    public static Compression Parse(ReadOnlySpan<byte> encoding)
    {
        var reader = new ProtoReader(encoding);
        if (!reader.Next()) throw new InvalidDataException("an empty compressive encoding");
        var field = reader.Field;
        Compression compression = field switch
        {
            1 => Flat.From(reader.Bytes()),
            2 => Variable.From(reader.Bytes()),
            4 => OutOfLineBitpacking.From(reader.Bytes()),
            5 => InlineBitpacking.From(reader.Bytes()),
            6 => Fsst.From(reader.Bytes()),
            8 => Rle.From(reader.Bytes()),
            9 => ByteStreamSplit.From(reader.Bytes()),
            10 => General.From(reader.Bytes()),
            11 => FixedSizeList.From(reader.Bytes()),
            _ => throw new NotSupportedException(field < Names.Length ? Names[field] : $"compressive encoding #{field}"),
        };
        if (reader.Next()) throw new InvalidDataException("a compressive encoding with two kinds");
        return compression;
    }

    /// <summary>A <c>BufferCompression</c> (lz4/zstd of a buffer) where this reader expects none.</summary>
    protected static NotSupportedException BufferCompressed(string name) => new($"{name} with general (lz4/zstd) buffer compression");

    /// <summary>Reads a message's fields through <paramref name="field"/>; unknown fields are refused, not skipped.</summary>
    protected static void Fields(ReadOnlySpan<byte> message, string name, FieldReader field)
    {
        var reader = new ProtoReader(message);
        while (reader.Next())
            if (!field(ref reader)) throw new NotSupportedException($"{name} with field #{reader.Field}");
    }

    protected delegate bool FieldReader(ref ProtoReader reader);
}

/// <summary>
/// An encoding a full-zip page applies to each variable-width value on its own (fsst, or general lz4/zstd per value):
/// a row's stored bytes turn into its value.
/// </summary>
internal interface IPerValueCompression
{
    void AppendDecompressed(ReadOnlySpan<byte> stored, ValueBuffer into);
}
