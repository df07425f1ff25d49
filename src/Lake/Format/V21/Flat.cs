namespace AiPlatform.Lake.Format.V21;

/// <summary><c>Flat</c>: values stored as they are, <see cref="Bits"/> bits each (1 for booleans, bit-packed LSB first).</summary>
internal sealed class Flat(int bits) : Compression
{
    public int Bits { get; } = bits;

    public override int? FixedBits => Bits;

    public override string Name => "flat";

    public override bool Supports(CompressionRole role) => true;

    public static Flat From(ReadOnlySpan<byte> message)
    {
        ulong bits = 0;
        Fields(message, "flat", (ref ProtoReader reader) =>
        {
            if (reader.Field == 1) bits = reader.Varint();
            else if (reader.Field == 2) throw BufferCompressed("flat");
            else return false;
            return true;
        });
        if (bits is not (1 or 8 or 16 or 32 or 64)) throw new NotSupportedException($"flat values of {bits} bits");
        return new Flat((int)bits);
    }

    public override void DecodeBlock(ReadOnlySpan<byte> data, int count, ValueBuffer into)
    {
        if (into.BitsPerItem != Bits) throw new InvalidDataException($"flat values of {Bits} bits where the column holds {into.BitsPerItem}-bit values");
        var bytes = ((long)count * Bits + 7) / 8;
        if (data.Length != bytes) throw new InvalidDataException($"{data.Length} bytes of flat values where {count} values of {Bits} bits take {bytes}");
        into.AppendFixed(data, count);
    }
}
