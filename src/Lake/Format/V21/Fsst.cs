using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>Fsst</c>: strings compressed with FSST's symbol table (up to 255 symbols of 1-8 bytes). Each compressed string is
/// a run of codes: a code below the symbol count stands for its symbol, 255 for the byte after it. The table leads
/// with a header (symbol count in its low byte, whether the data was compressed at all in bit 24, "FSST" in the high
/// half), then the symbols (8 bytes each) and their lengths. In mini-blocks the compressed strings are stored in the
/// inner (variable) encoding; in full-zip pages each row holds its own.
/// </summary>
internal sealed class Fsst : Compression, IPerValueCompression
{
    private const int TableBytes = 8 + 256 * 8 + 256;
    private const ulong Magic = 0x46535354UL << 32;
    private const byte Escape = 255;

    private readonly Compression _strings;
    private readonly bool _compressed;
    private readonly ulong[] _symbols;
    private readonly byte[] _lengths;

    private Fsst(Compression strings, bool compressed, ulong[] symbols, byte[] lengths)
    {
        _strings = strings;
        _compressed = compressed;
        _symbols = symbols;
        _lengths = lengths;
    }

    public override string Name => "fsst";

    public override bool Supports(CompressionRole role) => role != CompressionRole.Block;

    public static Fsst From(ReadOnlySpan<byte> message)
    {
        byte[]? table = null;
        Compression? strings = null;
        Fields(message, "fsst", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) table = reader.Bytes().ToArray();
            else if (reader.Field == 2) strings = Parse(reader.Bytes());
            else return false;
            return true;
        });
        if (strings is not Variable) throw new NotSupportedException($"fsst of strings in {strings?.Name ?? "no encoding"}");
        if (table is null || table.Length != TableBytes) throw new InvalidDataException($"an fsst symbol table of {table?.Length ?? 0} bytes, not {TableBytes}");
        var header = BinaryPrimitives.ReadUInt64LittleEndian(table);
        if ((header & Magic) != Magic) throw new InvalidDataException("an fsst symbol table without its magic");
        var count = (int)(header & 0xFF);
        var symbols = new ulong[count];
        var lengths = new byte[count];
        for (var i = 0; i < count; i++)
        {
            symbols[i] = BinaryPrimitives.ReadUInt64LittleEndian(table.AsSpan(8 + i * 8));
            lengths[i] = table[8 + count * 8 + i];
            if (lengths[i] is 0 or > 8) throw new InvalidDataException($"fsst symbol {i} of {lengths[i]} bytes");
        }
        return new Fsst(strings, (header & (1UL << 24)) != 0, symbols, lengths);
    }

    public override void DecodeChunk(ReadOnlyMemory<byte>[] buffers, int count, ValueBuffer into)
    {
        var compressed = new ValueBuffer(0, count);
        _strings.DecodeChunk(buffers, count, compressed);
        for (var i = 0; i < count; i++) AppendDecompressed(compressed.Item(i), into);
    }

    /// <summary>Appends one string from its codes, decoded in place: each code gives at most 8 bytes, and a symbol is written as one 8-byte word.</summary>
    public void AppendDecompressed(ReadOnlySpan<byte> codes, ValueBuffer into)
    {
        if (!_compressed)
        {
            into.AppendItem(codes);
            return;
        }
        var output = into.ItemSpace(checked(codes.Length * 8));
        var length = 0;
        for (var at = 0; at < codes.Length; at++)
        {
            var code = codes[at];
            if (code < _symbols.Length)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(output[length..], _symbols[code]);
                length += _lengths[code];
            }
            else if (code == Escape)
            {
                if (++at == codes.Length) throw new InvalidDataException("an fsst string ends with an escape code");
                output[length++] = codes[at];
            }
            else throw new InvalidDataException($"fsst code {code} is not among the {_symbols.Length} symbols");
        }
        into.EndItem(length);
    }
}
