using System.Buffers.Binary;
using System.IO.Compression;

/// <summary>Fashion-MNIST from Debian's dataset-fashion-mnist IDX files, as floats in [0, 1] and int64 labels.</summary>
internal sealed record FashionMnist(float[] Images, long[] Labels)
{
    public const string Folder = "/usr/share/datasets/fashion-mnist";
    public int Count => Labels.Length;

    public static FashionMnist Load(string split) => new(
        ReadImages(Path.Combine(Folder, $"{split}-images-idx3-ubyte.gz")),
        ReadLabels(Path.Combine(Folder, $"{split}-labels-idx1-ubyte.gz")));

    private static byte[] ReadAll(string path)
    {
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var memory = new MemoryStream();
        gzip.CopyTo(memory);
        return memory.ToArray();
    }

    private static float[] ReadImages(string path)
    {
        var bytes = ReadAll(path);
        var count = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4));
        return bytes.AsSpan(16, count * 784).ToArray().Select(b => b / 255f).ToArray();
    }

    private static long[] ReadLabels(string path) => ReadAll(path).AsSpan(8).ToArray().Select(b => (long)b).ToArray();
}
