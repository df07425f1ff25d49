using static AiPlatform.Torch.torch;

namespace AiPlatform.Torch.Tests;

/// <summary>One layer or operation run the way python/parity.py runs its namesake; outputs in the same order.</summary>
public sealed record ParityCase(string Name, Func<nn.Module>? Create, Func<nn.Module?, IReadOnlyDictionary<string, Tensor>, (string Name, Tensor Value)[]> Run)
{
    public override string ToString() => Name;
}

/// <summary>The C# twins of python/parity.py's CASES.</summary>
public static class ParityCases
{
    public static readonly IReadOnlyList<ParityCase> All =
    [
        Layer("embedding", () => new nn.Embedding(10, 6, padding_idx: 0), (m, i) => [("out", m.forward(i["idx"]))]),
        Layer("layer_norm", () => new nn.LayerNorm(8), Out),
        Layer("layer_norm_2d", () => new nn.LayerNorm([4, 5], eps: 1e-3), Out),
        Layer("group_norm", () => new nn.GroupNorm(2, 6), Out),
        Layer("conv1d", () => new nn.Conv1d(4, 6, 3, stride: 2, padding: 1), Out),
        Layer("conv1d_grouped_dilated", () => new nn.Conv1d(4, 6, 3, padding: 2, dilation: 2, groups: 2), Out),
        Layer("adaptive_avg_pool2d", () => new nn.AdaptiveAvgPool2d(3, 2), Out),
        Layer("upsample_nearest_scale", () => new nn.Upsample(scale_factor: [2], mode: "nearest"), Out),
        Layer("upsample_nearest_size", () => new nn.Upsample(size: [7, 9], mode: "nearest"), Out),
        Layer("upsample_bilinear_scale", () => new nn.Upsample(scale_factor: [1.5], mode: "bilinear", align_corners: false), Out),
        Layer("upsample_bilinear_aligned", () => new nn.Upsample(size: [7, 9], mode: "bilinear", align_corners: true), Out),
        Layer("silu", () => new nn.SiLU(), Out),
        Layer("leaky_relu", () => new nn.LeakyReLU(0.2), Out),
        Layer("softplus", () => new nn.Softplus(beta: 2, threshold: 5), Out),
        Layer("mha_self_masked", () => new nn.MultiheadAttention(16, 4), (m, i) =>
        {
            var x = i["x"];
            var (output, weights) = ((nn.MultiheadAttention)m).forward(x, x, x, key_padding_mask: i["pad"], attn_mask: i["mask"]);
            return [("out", output), ("weights", weights!)];
        }),
        Layer("mha_cross_batch_first", () => new nn.MultiheadAttention(16, 4, batch_first: true), (m, i) =>
        {
            var (output, weights) = ((nn.MultiheadAttention)m).forward(i["qx"], i["kx"], i["kx"], key_padding_mask: i["pad"], attn_mask: i["mask"],
                average_attn_weights: false);
            return [("out", output), ("weights", weights!)];
        }),
        Layer("encoder_layer", () => new nn.TransformerEncoderLayer(16, 4, dim_feedforward: 32, dropout: 0.0),
            (m, i) => [("out", ((nn.TransformerEncoderLayer)m).forward(i["x"], null, i["pad"]))]),
        Layer("encoder_layer_norm_first_gelu", () => new nn.TransformerEncoderLayer(16, 4, dim_feedforward: 32, dropout: 0.0, activation: "gelu",
                batch_first: true, norm_first: true),
            (m, i) => [("out", ((nn.TransformerEncoderLayer)m).forward(i["x"], i["mask"], null))]),
        Layer("encoder", () => new nn.TransformerEncoder(new nn.TransformerEncoderLayer(16, 4, dim_feedforward: 32, dropout: 0.0, batch_first: true), 2,
                new nn.LayerNorm(16)),
            (m, i) => [("out", ((nn.TransformerEncoder)m).forward(i["x"], null, i["pad"]))]),
        Layer("lstm", () => new nn.LSTM(5, 7), (m, i) =>
        {
            var (output, (h, c)) = ((nn.LSTM)m).forward(i["x"], null);
            return [("out", output), ("h", h), ("c", c)];
        }),
        Layer("lstm_deep_bidirectional", () => new nn.LSTM(5, 7, num_layers: 2, batch_first: true, bidirectional: true), (m, i) =>
        {
            var (output, (h, c)) = ((nn.LSTM)m).forward(i["x"], (i["hx"], i["cx"]));
            return [("out", output), ("h", h), ("c", c)];
        }),
        Layer("gru", () => new nn.GRU(5, 7), (m, i) =>
        {
            var (output, h) = ((nn.GRU)m).forward(i["x"], null);
            return [("out", output), ("h", h)];
        }),
        Layer("gru_deep_bidirectional", () => new nn.GRU(5, 7, num_layers: 2, batch_first: true, bidirectional: true), (m, i) =>
        {
            var (output, h) = ((nn.GRU)m).forward(i["x"], i["hx"]);
            return [("out", output), ("h", h)];
        }),

        Op("where", i => [("out", where(i["cond"], i["ax"], i["bx"]))]),
        Op("masked_fill", i => [("out", i["x"].masked_fill(i["mask"], -2.5))]),
        Op("gather", i => [("out", i["x"].gather(1, i["idx"]))]),
        Op("scatter", i => [("out", scatter(i["x"], 0, i["idx"], i["srcx"]))]),
        Op("topk", i =>
        {
            var (values, indices) = topk(i["x"], 3, dim: 1);
            return [("values", values), ("indices", indices)];
        }),
        Op("topk_smallest", i =>
        {
            var (values, indices) = topk(i["x"], 2, dim: 0, largest: false);
            return [("values", values), ("indices", indices)];
        }),
        Op("cumsum", i => [("out", cumsum(i["x"], 1))]),
        Op("bmm", i => [("out", bmm(i["ax"], i["bx"]))]),
        Op("einsum", i => [("out", einsum("bhid,bhjd->bhij", i["ax"], i["bx"]))]),
        Op("bce_with_logits", i => [("out", nn.functional.binary_cross_entropy_with_logits(i["x"], i["target"], pos_weight: i["pos_weight"]))]),
        Op("bce", i => [("out", nn.functional.binary_cross_entropy(i["x"], i["target"], nn.Reduction.Sum, weight: i["weight"]))]),
        Op("smooth_l1", i => [("out", nn.functional.smooth_l1_loss(i["x"], i["target"], beta: 0.5))]),
        Op("kl_div_batchmean", i => [("out", nn.functional.kl_div(i["x"].log_softmax(1), i["target"], nn.Reduction.BatchMean))]),
        Op("kl_div_log_target", i => [("out", nn.functional.kl_div(i["x"].log_softmax(1), i["target"], nn.Reduction.Sum, log_target: true))]),
        Op("cross_entropy_smoothing", i => [("out", nn.functional.cross_entropy(i["x"], i["target"], label_smoothing: 0.1))]),
        Op("cross_entropy_ignore_weighted", i =>
            [("out", nn.functional.cross_entropy(i["x"], i["target"], ignore_index: 2, label_smoothing: 0.2, weight: i["weight"]))]),
        Op("cross_entropy_probabilities", i => [("out", nn.functional.cross_entropy(i["x"], i["target"], label_smoothing: 0.05))]),
    ];

    private static (string, Tensor)[] Out(nn.Module? module, IReadOnlyDictionary<string, Tensor> inputs) => [("out", module!.forward(inputs["x"]))];

    private static ParityCase Layer(string name, Func<nn.Module> create, Func<nn.Module, IReadOnlyDictionary<string, Tensor>, (string, Tensor)[]> run) =>
        new(name, create, (m, i) => run(m!, i));

    private static ParityCase Op(string name, Func<IReadOnlyDictionary<string, Tensor>, (string, Tensor)[]> run) => new(name, null, (_, i) => run(i));
}
