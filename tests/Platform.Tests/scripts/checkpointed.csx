// A small regression trained with Adam for `epochs` epochs of `seconds` each, saving a checkpoint (weights, optimizer
// state, random state, epoch) after each: an attempt after a killed one resumes from it. The result says which epochs
// this attempt ran, the final loss and the last epoch's random draw, which match an uninterrupted run's only if
// weights, optimizer state and random state all came back.
async Task<object> Run(string input, string output, ScriptParams p)
{
    var epochs = p.GetInt("epochs", 6);
    var seconds = p.GetDouble("seconds", 1);
    manual_seed(7);
    Tensor x = randn([64, 8]), target = x.matmul(randn([8, 1])) + 0.5;
    var w = zeros([1, 8]).requires_grad_();
    var b = zeros([1]).requires_grad_();
    using var optimizer = optim.Adam([w, b], lr: 0.05);

    var resumedAfter = 0;
    if (await Context.Checkpoint.LoadLatestAsync(Context.CancellationToken) is { } checkpoint)
    {
        var weights = load(checkpoint.Parts["weights"]);
        using (no_grad())
        {
            w.copy_(weights["w"]);
            b.copy_(weights["b"]);
        }
        optimizer.load_state_dict(checkpoint.Parts["optimizer"]);
        set_rng_state(load(checkpoint.Parts["rng"])["cpu"]);
        resumedAfter = checkpoint.Epoch;
    }

    var ran = new List<int>();
    double loss = 0, draw = 0;
    for (var epoch = resumedAfter + 1; epoch <= epochs; epoch++)
    {
        for (var step = 0; step < 20; step++)
        {
            using var stepScope = NewDisposeScope();
            optimizer.zero_grad();
            var mse = nn.functional.mse_loss(x.matmul(w.permute(1, 0)) + b, target);
            mse.backward();
            optimizer.step();
            loss = mse.item<double>();
        }
        draw = rand([1]).item<float>();
        await Task.Delay(TimeSpan.FromSeconds(seconds), Context.CancellationToken);
        await Context.Checkpoint.SaveAsync(new Checkpoint(epoch, new Dictionary<string, byte[]>
        {
            ["weights"] = save(new Dictionary<string, Tensor> { ["w"] = w, ["b"] = b }),
            ["optimizer"] = optimizer.save_state_dict(),
            ["rng"] = save(new Dictionary<string, Tensor> { ["cpu"] = get_rng_state() }),
        }), Context.CancellationToken);
        ran.Add(epoch);
        Context.Progress((double)epoch / epochs, $"epoch {epoch}/{epochs}", new { epoch, loss, attempt = Context.Attempt });
    }
    return new { attempt = Context.Attempt, resumed_after = resumedAfter, ran, loss, draw };
}
