// The tabular classifier shared by train.csx and serve.csx (inlined by #load): inputs standardised with the training
// rows' mean and standard deviation (buffers saved with the weights, so serving needs nothing else), then
// features -> hidden -> classes with a ReLU between.
public sealed class TabularMlp : nn.Module
{
    public const string Architecture = "TabularMlp";

    private readonly nn.Linear fc1;
    private readonly nn.Linear fc2;
    private readonly Tensor mean;
    private readonly Tensor std;

    public TabularMlp(int features, int hidden, int classes)
    {
        (Features, Hidden, Classes) = (features, hidden, classes);
        fc1 = new nn.Linear(features, hidden);
        fc2 = new nn.Linear(hidden, classes);
        mean = register_buffer("mean", zeros([features]));
        std = register_buffer("std", ones([features]));
        RegisterComponents();
    }

    public int Features { get; }
    public int Hidden { get; }
    public int Classes { get; }

    /// <summary>Takes the standardisation from row-major training rows; a constant column keeps a scale of 1.</summary>
    public void Standardise(float[] rows)
    {
        var count = rows.Length / Features;
        var means = new float[Features];
        var deviations = new float[Features];
        for (var j = 0; j < Features; j++)
        {
            double sum = 0, squares = 0;
            for (var i = 0; i < count; i++) sum += rows[i * Features + j];
            var m = sum / count;
            for (var i = 0; i < count; i++) squares += Math.Pow(rows[i * Features + j] - m, 2);
            var deviation = Math.Sqrt(squares / count);
            (means[j], deviations[j]) = ((float)m, deviation > 1e-6 ? (float)deviation : 1f);
        }
        using var m1 = tensor(means, Features);
        using var s1 = tensor(deviations, Features);
        mean.copy_(m1);
        std.copy_(s1);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(fc2.forward(fc1.forward((x - mean) / std).relu()));
    }
}
