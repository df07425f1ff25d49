using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>AllNullLayout</c> of a top-level column: no buffers, every row null. Newer writers also use it for a column whose
/// rows all hold the same value: a number or boolean sits in the layout itself, a string or binary one in the page's
/// one buffer (see <see cref="ConstantOf"/>). Either way every row is that value.
/// </summary>
internal sealed class AllNullLayout : PageLayout
{
    private byte[]? _constant;
    private bool _constantInBuffer;

    public static AllNullLayout From(ReadOnlySpan<byte> message, int bufferCount)
    {
        var layout = new AllNullLayout();
        var layers = new List<ulong>();
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            if (reader.Field == 5) reader.Repeated(layers);
            else if (reader.Field == 6) layout._constant = reader.Bytes().ToArray();
            else throw new NotSupportedException($"all_null_layout with field #{reader.Field}");
        }
        var nullable = Nullable(layers);
        layout._constantInBuffer = bufferCount > 0;
        if (bufferCount > 1 || (layout._constantInBuffer && layout._constant is not null))
            throw new NotSupportedException($"all_null_layout with {bufferCount} page buffers{(layout._constant is null ? "" : " and a constant")}");
        var constant = layout._constant is not null || layout._constantInBuffer;
        if (!constant && !nullable) throw new InvalidDataException("an all-null page of a column that cannot be null");
        if (constant && nullable) throw new NotSupportedException("all_null_layout of a constant value in a column with nulls");
        return layout;
    }

    public override PageDecoder.Decoded Decode(byte[][] buffers, int rows, int bitsPerItem)
    {
        if (_constantInBuffer)
        {
            if (bitsPerItem != 0) throw new NotSupportedException($"all_null_layout of a constant in a page buffer for {bitsPerItem}-bit values");
            var value = ConstantOf(buffers[0]);
            var repeated = new byte[checked(rows * value.Length)];
            var ends = new long[rows];
            for (var row = 0; row < rows; row++)
            {
                value.CopyTo(repeated.AsSpan(row * value.Length));
                ends[row] = (long)(row + 1) * value.Length;
            }
            return new PageDecoder.Decoded { Values = repeated, Ends = ends };
        }
        if (_constant is null) return new PageDecoder.Decoded { AllNull = true };
        // A boolean constant is one byte, 0 or 1, for values packed eight to a byte.
        if (bitsPerItem == 1 && _constant is [0 or 1])
        {
            var bits = new byte[(rows + 7) / 8];
            if (_constant[0] == 1) bits.AsSpan().Fill(0xFF);
            return new PageDecoder.Decoded { Values = bits };
        }
        // Otherwise only a constant the width of one value is understood (not vectors' constants).
        if (bitsPerItem % 8 != 0 || _constant.Length * 8 != bitsPerItem)
            throw new NotSupportedException($"all_null_layout of a {_constant.Length}-byte constant for {bitsPerItem}-bit values");
        var values = new byte[(long)rows * _constant.Length];
        for (var row = 0; row < rows; row++) _constant.CopyTo(values, row * _constant.Length);
        return new PageDecoder.Decoded { Values = values };
    }

    /// <summary>
    /// A string or binary constant's page buffer, as LanceDB 0.39 writes it: a u32 count of parts (2), then each part as
    /// a u32 length and its bytes: the value's length as a u64, then the value. Any other shape is refused, not guessed at.
    /// </summary>
    private static ReadOnlySpan<byte> ConstantOf(byte[] buffer)
    {
        var span = buffer.AsSpan();
        if (span.Length >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(span) == 2 && BinaryPrimitives.ReadUInt32LittleEndian(span[4..]) == 8)
        {
            var length = BinaryPrimitives.ReadUInt64LittleEndian(span[8..]);
            if (BinaryPrimitives.ReadUInt32LittleEndian(span[16..]) == length && (ulong)span.Length == 20 + length)
                return span[20..];
        }
        throw new NotSupportedException($"all_null_layout of a constant in a {buffer.Length}-byte page buffer of an unknown shape");
    }
}
