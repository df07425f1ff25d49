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
        Field = (int)(tag >> 3);
        WireType = (int)(tag & 7);
        return true;
    }

    public ulong Varint() => ReadVarint();

    public long Int64() => unchecked((long)ReadVarint());

    public ReadOnlySpan<byte> Bytes()
    {
        var length = (int)ReadVarint();
        var bytes = _data.Slice(_position, length);
        _position += length;
        return bytes;
    }

    public string String() => Encoding.UTF8.GetString(Bytes());

    /// <summary>A repeated varint field, packed or not.</summary>
    public void Repeated(List<ulong> into)
    {
        if (WireType == 0)
        {
            into.Add(ReadVarint());
            return;
        }
        var packed = new ProtoReader(Bytes());
        while (packed._position < packed._data.Length) into.Add(packed.ReadVarint());
    }

    public void Skip()
    {
        switch (WireType)
        {
            case 0: ReadVarint(); break;
            case 1: _position += 8; break;
            case 2: Bytes(); break;
            case 5: _position += 4; break;
            default: throw new InvalidDataException($"unsupported protobuf wire type {WireType}");
        }
    }

    private ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; ; shift += 7)
        {
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
