using AiPlatform.Torch;
using static AiPlatform.Torch.torch;

/// <summary>The reference CNN, with the same attribute names as reference.py so state dicts are interchangeable.</summary>
public sealed class ReferenceCnn : nn.Module
{
    public const string Architecture = "ReferenceCnn";

    private readonly nn.Conv2d conv1 = new(1, 32, 3, padding: 1);
    private readonly nn.Conv2d conv2 = new(32, 64, 3, padding: 1);
    private readonly nn.Linear fc1 = new(3136, 128);
    private readonly nn.Linear fc2 = new(128, 10);
    private readonly nn.Dropout dropout = new(0.25);

    public ReferenceCnn() => RegisterComponents();

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        x = nn.functional.max_pool2d(conv1.forward(x.reshape(-1, 1, 28, 28)).relu(), 2, 2);
        x = nn.functional.max_pool2d(conv2.forward(x).relu(), 2, 2);
        x = dropout.forward(fc1.forward(x.flatten(1)).relu());
        return scope.MoveToOuter(fc2.forward(x));
    }
}
