namespace AiPlatform.Lake.Format.V21;

/// <summary><c>AllNullLayout</c> of a top-level column: every row is null and the page stores no buffers.</summary>
internal sealed class AllNullLayout : PageLayout
{
    public static AllNullLayout From(ReadOnlySpan<byte> message)
    {
        var layers = new List<ulong>();
        var reader = new ProtoReader(message);
        while (reader.Next())
        {
            if (reader.Field != 5) throw new NotSupportedException($"all_null_layout with field #{reader.Field}");
            reader.Repeated(layers);
        }
        if (!Nullable(layers)) throw new InvalidDataException("an all-null page of a column that cannot be null");
        return new AllNullLayout();
    }

    public override PageDecoder.Decoded Decode(byte[][] buffers, int rows, int bitsPerItem) =>
        buffers.Any(b => b.Length > 0)
            ? throw new InvalidDataException("an all-null page with data buffers")
            : new PageDecoder.Decoded { AllNull = true };
}
