using AiPlatform.Lake.Dataset;
using AiPlatform.Torch;

namespace AiPlatform.ScriptApi.Data;

/// <summary>
/// Batches of a dataset as the own engine's tensors, shaped like <c>torch.utils.data.DataLoader</c>: every enumeration is
/// one epoch, and each batch is the caller's to dispose (see <see cref="BatchLoader{TTensor}"/> for reading and shuffling).
/// </summary>
public sealed class DataLoader(LanceDataset dataset, DataLoaderOptions options) : BatchLoader<Tensor>(dataset, options, OwnTensors.Instance);

/// <summary>How a <see cref="DataLoader"/> cuts a dataset into batches.</summary>
public sealed record DataLoaderOptions : LoaderOptions<Tensor>;

internal sealed class OwnTensors : ITensorMaker<Tensor>
{
    public static readonly OwnTensors Instance = new();

    public Tensor Make<T>(ReadOnlySpan<T> values, long[] shape, Func<Tensor, Tensor>? transform) where T : unmanaged
    {
        using var scope = torch.NewDisposeScope();
        var tensor = torch.tensor(values, shape);
        return scope.MoveToOuter(transform is null ? tensor : transform(tensor));
    }
}
