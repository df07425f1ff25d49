using System.Runtime.InteropServices;
using AiPlatform.Lake.Dataset;
using AiPlatform.ScriptApi;
using TorchSharp;
using static TorchSharp.torch;

namespace AiPlatform.ScriptRunner.TorchSharp;

/// <summary>
/// The own engine's <c>DataLoader</c> for TorchSharp scripts: the same reading, block shuffling, filtering, prefetch and
/// resumable epochs (<see cref="BatchLoader{TTensor}"/>), with batches of TorchSharp tensors.
/// </summary>
public sealed class DataLoader(LanceDataset dataset, DataLoaderOptions options) : BatchLoader<Tensor>(dataset, options, TorchSharpTensors.Instance);

/// <summary>How a <see cref="DataLoader"/> cuts a dataset into batches.</summary>
public sealed record DataLoaderOptions : LoaderOptions<Tensor>;

internal sealed class TorchSharpTensors : ITensorMaker<Tensor>
{
    public static readonly TorchSharpTensors Instance = new();

    public Tensor Make<T>(ReadOnlySpan<T> values, long[] shape, Func<Tensor, Tensor>? transform) where T : unmanaged
    {
        using var scope = NewDisposeScope();
        var tensor = empty(shape, TypeOf<T>());
        // The buffer is reused once this returns: copied into the tensor's own storage.
        MemoryMarshal.AsBytes(values).CopyTo(tensor.bytes);
        return (transform is null ? tensor : transform(tensor)).MoveToOuterDisposeScope();
    }

    private static ScalarType TypeOf<T>() => typeof(T) switch
    {
        var t when t == typeof(float) => ScalarType.Float32,
        var t when t == typeof(double) => ScalarType.Float64,
        var t when t == typeof(long) => ScalarType.Int64,
        var t when t == typeof(int) => ScalarType.Int32,
        var t => throw new NotSupportedException($"no TorchSharp tensor of {t.Name}"),
    };
}
