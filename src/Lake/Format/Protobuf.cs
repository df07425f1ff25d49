using System.Buffers.Binary;
using System.Text;

namespace AiPlatform.Lake.Format;

/// <summary>The few protobuf wire-format pieces Lance's metadata needs: varints, length-delimited fields, packed repeats.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _buffer = new();

    public byte[] ToArray() => _buffer.ToArray();

    public ProtoWriter Varint(int field, ulong value)
    {
        if (value == 0) return this;
        Tag(field, 0);
        WriteVarint(value);
        return this;
    }

    /// <summary>A varint written even when zero (copying a field as it was).</summary>
    public ProtoWriter VarintAlways(int field, ulong value)
    {
        Tag(field, 0);
        WriteVarint(value);
        return this;
    }

    public ProtoWriter Int(int field, long value) => Varint(field, unchecked((ulong)value));

    public ProtoWriter Bool(int field, bool value) => Varint(field, value ? 1UL : 0UL);

    public ProtoWriter String(int field, string? value) => value is null or "" ? this : Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        WriteVarint((ulong)value.Length);
        _buffer.Write(value);
        return this;
    }

    /// <summary>An embedded message, written even when empty (presence matters for oneof fields).</summary>
    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.ToArray());

    public ProtoWriter Packed(int field, IEnumerable<ulong> values)
    {
        var inner = new ProtoWriter();
        foreach (var value in values) inner.WriteVarint(value);
        var bytes = inner.ToArray();
        return bytes.Length == 0 ? this : Bytes(field, bytes);
    }

    private void Tag(int field, int wireType) => WriteVarint((ulong)((field << 3) | wireType));

    private void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _buffer.WriteByte((byte)value);
    }
}

/// <summary>Reads a protobuf message field by field; unknown fields are skipped, as newer writers add some.</summary>
internal ref struct ProtoReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public int Field { get; private set; }
    public int WireType { get; private set; }

    public bool Next()
    {
        if (_position >= _data.Length) return false;
        var tag = ReadVarint();
        if (tag >> 3 is 0 or > int.MaxValue) throw new InvalidDataException($"protobuf tag {tag} has no valid field number");
        Field = (int)(tag >> 3);
        WireType = (int)(tag & 7);
        return true;
    }

    public ulong Varint()
    {
        Expect(0);
        return ReadVarint();
    }

    public long Int64() => unchecked((long)Varint());

    /// <summary>A non-negative number that fits an int (counts, ids, indices).</summary>
    public int Count()
    {
        var value = Varint();
        return value <= int.MaxValue ? (int)value : throw new InvalidDataException($"protobuf field {Field} holds {value}, out of range");
    }

    private void Expect(int wireType)
    {
        if (WireType != wireType) throw new InvalidDataException($"protobuf field {Field} has wire type {WireType}, expected {wireType}");
    }

    public ReadOnlySpan<byte> Bytes()
    {
        Expect(2);
        var length = ReadVarint();
        if (length > (ulong)(_data.Length - _position))
            throw new InvalidDataException($"protobuf field {Field} claims {length} bytes, {_data.Length - _position} remain");
        var bytes = _data.Slice(_position, (int)length);
        _position += (int)length;
        return bytes;
    }

    /// <summary>A string field; invalid UTF-8 is corruption, never replaced silently.</summary>
    public string String()
    {
        var bytes = Bytes();
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"protobuf field {Field} is not valid UTF-8");
        }
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>A repeated varint field, packed or not.</summary>
    public void Repeated(List<ulong> into)
    {
        if (WireType == 0)
        {
            into.Add(ReadVarint());
            return;
        }
        Expect(2);
        var packed = new ProtoReader(Bytes());
        while (packed._position < packed._data.Length) into.Add(packed.ReadVarint());
    }

    public void Skip()
    {
        switch (WireType)
        {
            case 0: ReadVarint(); break;
            case 1: Advance(8); break;
            case 2: Bytes(); break;
            case 5: Advance(4); break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {WireType}");
        }
    }

    private void Advance(int bytes)
    {
        if (_data.Length - _position < bytes) throw new InvalidDataException($"protobuf field {Field} is truncated");
        _position += bytes;
    }

    private ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (shift > 63) throw new InvalidDataException("protobuf varint longer than 10 bytes");
            if (_position >= _data.Length) throw new InvalidDataException("truncated protobuf varint");
            var b = _data[_position++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return result;
        }
    }
}

internal static class LittleEndian
{
    public static void WriteUInt64(Stream stream, ulong value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        stream.Write(bytes);
    }
}
