using System.Buffers.Binary;

namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// The FastLanes bit-packed layout Lance's bitpacking encodings use: 1024 values of a T-bit word type packed at W bits
/// each into 1024 * W / T words. The values are spread over 1024 / T lanes (lane = word index modulo the lane count)
/// and, within a lane, stored in a transposed order, so value i is not simply at bit i * W.
/// </summary>
internal static class FastLanes
{
    public const int ValuesPerBlock = 1024;

    /// <summary>The transposed row order of the layout: rows come in groups of 8, in this order of groups.</summary>
    private static readonly int[] GroupOrder = [0, 4, 2, 6, 1, 5, 3, 7];

    /// <summary>Bytes of one packed block of 1024 values packed at <paramref name="width"/> bits, whatever the word type.</summary>
    public static int BlockBytes(int width) => ValuesPerBlock * width / 8;

    /// <summary>Unpacks one block into 1024 values.</summary>
    public static void Unpack(ReadOnlySpan<byte> packed, int wordBits, int width, Span<ulong> values)
    {
        if (wordBits is not (8 or 16 or 32 or 64)) throw new InvalidDataException($"bit-packed words of {wordBits} bits");
        if (width < 0 || width > wordBits) throw new InvalidDataException($"values packed at {width} bits in words of {wordBits} bits");
        if (packed.Length < BlockBytes(width))
            throw new InvalidDataException($"a bit-packed block of {packed.Length} bytes is shorter than {BlockBytes(width)} for width {width}");
        if (width == 0)
        {
            values[..ValuesPerBlock].Clear();
            return;
        }
        // Widened once, so the loop below reads words of any size alike.
        Span<ulong> words = stackalloc ulong[ValuesPerBlock];
        words = words[..(ValuesPerBlock * width / wordBits)];
        Widen(packed, wordBits, words);
        var lanes = ValuesPerBlock / wordBits;
        var mask = width == 64 ? ulong.MaxValue : (1UL << width) - 1;
        for (var row = 0; row < wordBits; row++)
        {
            var bit = row * width;
            var first = bit / wordBits * lanes;
            var shift = bit % wordBits;
            var spills = shift + width > wordBits;
            var target = values.Slice(GroupOrder[row / 8] * 16 + row % 8 * 128, lanes);
            for (var lane = 0; lane < lanes; lane++)
            {
                var value = words[first + lane] >> shift;
                if (spills) value |= words[first + lanes + lane] << (wordBits - shift);
                target[lane] = value & mask;
            }
        }
    }

    private static void Widen(ReadOnlySpan<byte> packed, int wordBits, Span<ulong> words)
    {
        for (var i = 0; i < words.Length; i++)
            words[i] = wordBits switch
            {
                8 => packed[i],
                16 => BinaryPrimitives.ReadUInt16LittleEndian(packed[(i * 2)..]),
                32 => BinaryPrimitives.ReadUInt32LittleEndian(packed[(i * 4)..]),
                _ => BinaryPrimitives.ReadUInt64LittleEndian(packed[(i * 8)..]),
            };
    }
}
