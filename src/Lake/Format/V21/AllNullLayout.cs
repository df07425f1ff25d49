namespace AiPlatform.Lake.Format.V21;

/// <summary>
/// <c>AllNullLayout</c> of a top-level column: no buffers, every row null. Newer writers also use it for a column whose
/// rows all hold the same value: a fixed-width value sits in the layout itself (read here, every row that value); a
/// variable-width one lies in a page buffer whose layout this reader does not know, so it is refused.
/// </summary>
internal sealed class AllNullLayout : PageLayout
{
    private byte[]? _constant;

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
        if (bufferCount > 0) throw new NotSupportedException("all_null_layout of a constant value stored in a page buffer (a column whose rows are all the same string or binary)");
        if (layout._constant is null && !nullable) throw new InvalidDataException("an all-null page of a column that cannot be null");
        if (layout._constant is not null && nullable) throw new NotSupportedException("all_null_layout of a constant value in a column with nulls");
        return layout;
    }

    public override PageDecoder.Decoded Decode(byte[][] buffers, int rows, int bitsPerItem)
    {
        if (_constant is null) return new PageDecoder.Decoded { AllNull = true };
        // Only a constant the width of one value is understood (not booleans' or vectors' constants).
        if (bitsPerItem % 8 != 0 || _constant.Length * 8 != bitsPerItem)
            throw new NotSupportedException($"all_null_layout of a {_constant.Length}-byte constant for {bitsPerItem}-bit values");
        var values = new byte[(long)rows * _constant.Length];
        for (var row = 0; row < rows; row++) _constant.CopyTo(values, row * _constant.Length);
        return new PageDecoder.Decoded { Values = values };
    }
}
