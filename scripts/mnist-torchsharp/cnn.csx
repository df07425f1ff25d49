// engine: torchsharp
// The reference CNN of scripts/mnist/cnn.csx, written against TorchSharp. Same layers, same submodule names: the state
// dict it saves (PyTorch's format, through TorchSharp.PyBridge) loads into the own engine's ReferenceCnn and into
// PyTorch's (reference_cnn.py) with strict loading, and theirs load here.
public sealed class ReferenceCnn : nn.Module<Tensor, Tensor>
{
    public const string Architecture = "ReferenceCnn";

    private readonly nn.Module<Tensor, Tensor> conv1 = nn.Conv2d(1, 32, 3, padding: 1);
    private readonly nn.Module<Tensor, Tensor> conv2 = nn.Conv2d(32, 64, 3, padding: 1);
    private readonly nn.Module<Tensor, Tensor> fc1 = nn.Linear(3136, 128);
    private readonly nn.Module<Tensor, Tensor> fc2 = nn.Linear(128, 10);
    private readonly nn.Module<Tensor, Tensor> dropout = nn.Dropout(0.25);

    public ReferenceCnn() : base(nameof(ReferenceCnn)) => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = nn.functional.max_pool2d(nn.functional.relu(conv1.forward(x.reshape(-1, 1, 28, 28))), 2, 2);
        x = nn.functional.max_pool2d(nn.functional.relu(conv2.forward(x)), 2, 2);
        x = dropout.forward(nn.functional.relu(fc1.forward(x.flatten(1))));
        return fc2.forward(x).MoveToOuterDisposeScope();
    }
}

/// <summary>A state dict (weights, optimizer state, anything PyBridge pickles) as the bytes the lake stores.</summary>
static byte[] PyTorchBytes(Action<Stream> save)
{
    using var buffer = new MemoryStream();
    save(buffer);
    return buffer.ToArray();
}
