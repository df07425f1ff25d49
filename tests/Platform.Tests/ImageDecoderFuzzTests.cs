using System.Buffers.Binary;
using AiPlatform.ScriptApi;
using AiPlatform.Platform.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AiPlatform.Platform.Tests;

/// <summary>The predict path's PNG decoder against damaged and hostile files: refused with a format error, nothing else.</summary>
public sealed class ImageDecoderFuzzTests(ITestOutputHelper output)
{
    private const long PerImage = 2048 * 2048;
    // A decoded image at the budget costs about 4 bytes a pixel of inflated data plus 1 of grey; allow for the copies.
    private const long MaxAllocatedBytesPerCase = 64L * 1024 * 1024;

    private static PixelBudget Budget() => new(PerImage, 4 * PerImage);

    [Fact]
    public void Valid_images_of_every_colour_type_and_filter_decode_to_their_size()
    {
        var mutator = new PngMutator(new Random(FuzzSettings.Seed));
        for (var i = 0; i < 300; i++)
        {
            var png = mutator.Valid();
            var image = PngDecoder.Decode(png, Budget());
            Assert.Equal(BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)), image.Width);
            Assert.Equal(BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)), image.Height);
        }
    }

    [Fact]
    public void Damaged_images_are_refused_with_a_format_error_and_bounded_memory()
    {
        var seed = FuzzSettings.Seed;
        var cases = FuzzSettings.Cases(3000);
        var mutator = new PngMutator(new Random(seed));
        var failures = new List<string>();
        int decoded = 0, refused = 0;
        long largestAllocation = 0;
        for (var i = 0; i < cases; i++)
        {
            var png = mutator.Damaged();
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                PngDecoder.Decode(png, Budget());
                decoded++;
            }
            catch (PngFormatException)
            {
                refused++;
            }
            catch (Exception e)
            {
                failures.Add($"seed {seed} case {i}: {e.GetType().Name}: {e.Message} (input, base64: {Convert.ToBase64String(png[..Math.Min(png.Length, 512)])})");
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            largestAllocation = Math.Max(largestAllocation, allocated);
            if (allocated > MaxAllocatedBytesPerCase) failures.Add($"seed {seed} case {i}: allocated {allocated} bytes for a {png.Length}-byte file");
        }
        output.WriteLine($"{cases} damaged PNGs (seed {seed}): {refused} refused, {decoded} still decodable, {failures.Count} failures; " +
                         $"largest allocation {largestAllocation / 1024} KiB");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(20)));
        Assert.True(refused > cases / 2, $"only {refused} of {cases} damaged files were refused: the mutator is not damaging enough");
    }

    public static TheoryData<string, byte[], string> KnownAttacks => new()
    {
        { "IHDR shorter than 13 bytes", Png.Assemble([("IHDR", new byte[8]), ("IDAT", []), ("IEND", [])]), "IHDR" },
        { "palette index past the palette", PaletteOverrun(), "palette" },
        { "chunk length near 2^31", WithChunkLength(Gray(), 0x7FFFFFF8), "declares" },
        { "chunk length 2^32-1", WithChunkLength(Gray(), 0xFFFFFFFF), "declares" },
        { "CRC mismatch", WithFlippedCrc(Gray()), "CRC" },
        { "zlib stream that is not zlib", Png.Assemble([("IHDR", Header(4, 4, 0)), ("IDAT", [1, 2, 3, 4, 5, 6]), ("IEND", [])]), "zlib" },
        { "96-byte file declaring 8192x8192", Png.Assemble([("IHDR", Header(8192, 8192, 0)), ("IDAT", [0x78, 0x9c, 3, 0]), ("IEND", [])]), "limit" },
        { "filter type 5", Png.Encode(2, 2, 0, [1, 2, 3, 4], filters: _ => 5), "filter" },
        { "no IEND", Gray()[..^12], "IEND" },
    };

    [Theory]
    [MemberData(nameof(KnownAttacks))]
    public void Known_attacks_are_refused_with_a_reason(string attack, byte[] png, string reason)
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var error = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(png, Budget()));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1024 * 1024, $"{attack}: refusing it allocated more than 1 MiB");
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void The_request_budget_counts_every_image_of_the_request()
    {
        var budget = new PixelBudget(PerImage, 2 * PerImage);
        Assert.Null(budget.Refusal(2048, 2048));
        Assert.Null(budget.Refusal(2048, 2048));
        Assert.Contains("per request", budget.Refusal(1, 1));
        Assert.Contains("per image", new PixelBudget(PerImage, 10 * PerImage).Refusal(2049, 2048));
    }

    private static byte[] Gray() => Png.Grey(4, 4, new byte[16]);

    private static byte[] Header(int width, int height, byte colorType)
    {
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8;
        header[9] = colorType;
        return header;
    }

    private static byte[] PaletteOverrun() => Png.Encode(2, 2, 3, [0, 1, 2, 200], palette: new byte[3 * 3]);

    private static byte[] WithChunkLength(byte[] png, uint length)
    {
        // The first chunk after IHDR (IDAT) claims more data than the file holds.
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 12 + 13), length);
        return png;
    }

    private static byte[] WithFlippedCrc(byte[] png)
    {
        png[8 + 8 + 13] ^= 1;
        return png;
    }
}
