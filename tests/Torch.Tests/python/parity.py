# PyTorch side of ParityTests.cs: for every case, fixed inputs and weights (seeded here), the outputs, and the gradients
# of sum(output * upstream) with respect to the inputs and parameters, saved as <folder>/<case>.pt (a dict of tensors the
# engine loads with torch.load). When the engine saved its own freshly initialised weights as <case>.ours.pt, they are
# loaded here with strict=True. Prints a JSON object: case -> "ok" or the strict-load error.
#   /usr/bin/python3 parity.py <folder> <threads>
import json, os, sys
import torch
import torch.nn as nn
import torch.nn.functional as F

folder, threads = sys.argv[1], int(sys.argv[2])
torch.set_num_threads(threads)

def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.bool), diagonal=1)

def padding(batch, length, lengths):
    return torch.arange(length).expand(batch, length) >= torch.tensor(lengths).unsqueeze(1)

def rand_index(*shape, high):
    return torch.randint(0, high, shape)

# Each case: (module factory or None, input factory, forward(module, inputs) -> dict of outputs). Names of float inputs
# ending in "x" (x, q, kx...) take gradients. The C# twins of these cases are in ParityCases.cs.
def encoder(layers, norm):
    layer = nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, batch_first=True)
    return nn.TransformerEncoder(layer, layers, norm=nn.LayerNorm(16) if norm else None, enable_nested_tensor=False)

CASES = {
    "embedding": (lambda: nn.Embedding(10, 6, padding_idx=0), lambda: {"idx": torch.tensor([[0, 3, 9, 1, 0], [4, 4, 2, 0, 7]])},
                  lambda m, i: {"out": m(i["idx"])}),
    "layer_norm": (lambda: nn.LayerNorm(8), lambda: {"x": torch.randn(3, 5, 8) * 3 + 1}, lambda m, i: {"out": m(i["x"])}),
    "layer_norm_2d": (lambda: nn.LayerNorm([4, 5], eps=1e-3), lambda: {"x": torch.randn(2, 3, 4, 5)}, lambda m, i: {"out": m(i["x"])}),
    "group_norm": (lambda: nn.GroupNorm(2, 6), lambda: {"x": torch.randn(3, 6, 4, 4) * 2}, lambda m, i: {"out": m(i["x"])}),
    "conv1d": (lambda: nn.Conv1d(4, 6, 3, stride=2, padding=1), lambda: {"x": torch.randn(2, 4, 11)}, lambda m, i: {"out": m(i["x"])}),
    "conv1d_grouped_dilated": (lambda: nn.Conv1d(4, 6, 3, padding=2, dilation=2, groups=2), lambda: {"x": torch.randn(2, 4, 9)},
                               lambda m, i: {"out": m(i["x"])}),
    "adaptive_avg_pool2d": (lambda: nn.AdaptiveAvgPool2d((3, 2)), lambda: {"x": torch.randn(2, 3, 7, 5)}, lambda m, i: {"out": m(i["x"])}),
    "upsample_nearest_scale": (lambda: nn.Upsample(scale_factor=2, mode="nearest"), lambda: {"x": torch.randn(2, 3, 4, 5)},
                               lambda m, i: {"out": m(i["x"])}),
    "upsample_nearest_size": (lambda: nn.Upsample(size=(7, 9), mode="nearest"), lambda: {"x": torch.randn(2, 3, 4, 5)},
                              lambda m, i: {"out": m(i["x"])}),
    "upsample_bilinear_scale": (lambda: nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=False),
                                lambda: {"x": torch.randn(2, 3, 4, 6)}, lambda m, i: {"out": m(i["x"])}),
    "upsample_bilinear_aligned": (lambda: nn.Upsample(size=(7, 9), mode="bilinear", align_corners=True),
                                  lambda: {"x": torch.randn(2, 3, 4, 5)}, lambda m, i: {"out": m(i["x"])}),
    "silu": (lambda: nn.SiLU(), lambda: {"x": torch.randn(4, 7) * 3}, lambda m, i: {"out": m(i["x"])}),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), lambda: {"x": torch.randn(4, 7)}, lambda m, i: {"out": m(i["x"])}),
    "softplus": (lambda: nn.Softplus(beta=2, threshold=5), lambda: {"x": torch.randn(4, 7) * 4}, lambda m, i: {"out": m(i["x"])}),
    "mha_self_masked": (lambda: nn.MultiheadAttention(16, 4),
                        lambda: {"x": torch.randn(5, 3, 16), "mask": causal(5), "pad": padding(3, 5, [5, 3, 4])},
                        lambda m, i: dict(zip(["out", "weights"], m(i["x"], i["x"], i["x"], key_padding_mask=i["pad"], attn_mask=i["mask"])))),
    "mha_cross_batch_first": (lambda: nn.MultiheadAttention(16, 4, batch_first=True),
                              lambda: {"qx": torch.randn(3, 4, 16), "kx": torch.randn(3, 6, 16), "mask": torch.randn(4, 6),
                                       "pad": padding(3, 6, [6, 2, 5])},
                              lambda m, i: dict(zip(["out", "weights"], m(i["qx"], i["kx"], i["kx"], key_padding_mask=i["pad"],
                                                                          attn_mask=i["mask"], average_attn_weights=False)))),
    "encoder_layer": (lambda: nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0),
                      lambda: {"x": torch.randn(5, 3, 16), "pad": padding(3, 5, [5, 2, 4])},
                      lambda m, i: {"out": m(i["x"], src_key_padding_mask=i["pad"])}),
    "encoder_layer_norm_first_gelu": (lambda: nn.TransformerEncoderLayer(16, 4, dim_feedforward=32, dropout=0.0, activation="gelu",
                                                                         batch_first=True, norm_first=True),
                                      lambda: {"x": torch.randn(3, 5, 16), "mask": causal(5)},
                                      lambda m, i: {"out": m(i["x"], src_mask=i["mask"])}),
    "encoder": (lambda: encoder(2, True), lambda: {"x": torch.randn(3, 5, 16), "pad": padding(3, 5, [5, 1, 3])},
                lambda m, i: {"out": m(i["x"], src_key_padding_mask=i["pad"])}),
    "lstm": (lambda: nn.LSTM(5, 7), lambda: {"x": torch.randn(6, 3, 5)},
             lambda m, i: (lambda o: {"out": o[0], "h": o[1][0], "c": o[1][1]})(m(i["x"]))),
    "lstm_deep_bidirectional": (lambda: nn.LSTM(5, 7, num_layers=2, batch_first=True, bidirectional=True),
                                lambda: {"x": torch.randn(3, 6, 5), "hx": torch.randn(4, 3, 7), "cx": torch.randn(4, 3, 7)},
                                lambda m, i: (lambda o: {"out": o[0], "h": o[1][0], "c": o[1][1]})(m(i["x"], (i["hx"], i["cx"])))),
    "gru": (lambda: nn.GRU(5, 7), lambda: {"x": torch.randn(6, 3, 5)}, lambda m, i: dict(zip(["out", "h"], m(i["x"])))),
    "gru_deep_bidirectional": (lambda: nn.GRU(5, 7, num_layers=2, batch_first=True, bidirectional=True),
                               lambda: {"x": torch.randn(3, 6, 5), "hx": torch.randn(4, 3, 7)},
                               lambda m, i: dict(zip(["out", "h"], m(i["x"], i["hx"])))),
    # ---- operations and losses (no module)
    "where": (None, lambda: {"cond": torch.rand(4, 5) > 0.5, "ax": torch.randn(4, 5), "bx": torch.randn(5)},
              lambda m, i: {"out": torch.where(i["cond"], i["ax"], i["bx"])}),
    "masked_fill": (None, lambda: {"x": torch.randn(4, 5), "mask": torch.tensor([[True], [False], [True], [False]])},
                    lambda m, i: {"out": i["x"].masked_fill(i["mask"], -2.5)}),
    "gather": (None, lambda: {"x": torch.randn(4, 5), "idx": rand_index(4, 3, high=5)}, lambda m, i: {"out": i["x"].gather(1, i["idx"])}),
    "scatter": (None, lambda: {"x": torch.randn(3, 5), "idx": torch.stack([torch.randperm(3)[:2] for _ in range(5)], 1), "srcx": torch.randn(2, 5)},
                lambda m, i: {"out": torch.scatter(i["x"], 0, i["idx"], i["srcx"])}),
    "topk": (None, lambda: {"x": torch.randn(4, 7)}, lambda m, i: dict(zip(["values", "indices"], torch.topk(i["x"], 3, dim=1)))),
    "topk_smallest": (None, lambda: {"x": torch.randn(6, 4)}, lambda m, i: dict(zip(["values", "indices"], torch.topk(i["x"], 2, dim=0, largest=False)))),
    "cumsum": (None, lambda: {"x": torch.randn(4, 6)}, lambda m, i: {"out": torch.cumsum(i["x"], 1)}),
    "bmm": (None, lambda: {"ax": torch.randn(3, 4, 5), "bx": torch.randn(3, 5, 2)}, lambda m, i: {"out": torch.bmm(i["ax"], i["bx"])}),
    "einsum": (None, lambda: {"ax": torch.randn(2, 3, 4, 5), "bx": torch.randn(2, 3, 6, 5)},
               lambda m, i: {"out": torch.einsum("bhid,bhjd->bhij", i["ax"], i["bx"])}),
    "bce_with_logits": (None, lambda: {"x": torch.randn(4, 3) * 2, "target": torch.rand(4, 3), "pos_weight": torch.rand(3) + 0.5},
                        lambda m, i: {"out": F.binary_cross_entropy_with_logits(i["x"], i["target"], pos_weight=i["pos_weight"])}),
    "bce": (None, lambda: {"x": torch.rand(4, 3) * 0.9 + 0.05, "target": torch.rand(4, 3), "weight": torch.rand(4, 3)},
            lambda m, i: {"out": F.binary_cross_entropy(i["x"], i["target"], weight=i["weight"], reduction="sum")}),
    "smooth_l1": (None, lambda: {"x": torch.randn(4, 5), "target": torch.randn(4, 5)},
                  lambda m, i: {"out": F.smooth_l1_loss(i["x"], i["target"], beta=0.5)}),
    "kl_div_batchmean": (None, lambda: {"x": torch.randn(4, 5), "target": torch.softmax(torch.randn(4, 5), 1)},
                         lambda m, i: {"out": F.kl_div(F.log_softmax(i["x"], 1), i["target"], reduction="batchmean")}),
    "kl_div_log_target": (None, lambda: {"x": torch.randn(4, 5), "target": torch.log_softmax(torch.randn(4, 5), 1)},
                          lambda m, i: {"out": F.kl_div(F.log_softmax(i["x"], 1), i["target"], reduction="sum", log_target=True)}),
    "cross_entropy_smoothing": (None, lambda: {"x": torch.randn(6, 5), "target": rand_index(6, high=5)},
                                lambda m, i: {"out": F.cross_entropy(i["x"], i["target"], label_smoothing=0.1)}),
    "cross_entropy_ignore_weighted": (None, lambda: {"x": torch.randn(6, 5), "target": torch.tensor([0, 2, 4, 2, 1, 3]), "weight": torch.rand(5) + 0.5},
                                      lambda m, i: {"out": F.cross_entropy(i["x"], i["target"], weight=i["weight"], ignore_index=2, label_smoothing=0.2)}),
    "cross_entropy_probabilities": (None, lambda: {"x": torch.randn(6, 5), "target": torch.softmax(torch.randn(6, 5), 1)},
                                    lambda m, i: {"out": F.cross_entropy(i["x"], i["target"], label_smoothing=0.05)}),
}

def grad_input(name, tensor):
    return tensor.is_floating_point() and name.endswith("x")

results = {}
for number, (case, (make_module, make_inputs, forward)) in enumerate(CASES.items()):
    torch.manual_seed(1000 + number)
    module = make_module() if make_module else None
    if module is not None:
        with torch.no_grad():  # move every parameter off its initial value (ones, zeros) so the check means something
            for p in module.parameters():
                p.add_(torch.randn_like(p) * 0.1)
    inputs = {n: t.requires_grad_() if grad_input(n, t) else t for n, t in make_inputs().items()}
    outputs = forward(module, inputs)
    upstream = {n: torch.randn_like(t) for n, t in outputs.items() if t.is_floating_point()}
    sum((outputs[n] * u).sum() for n, u in upstream.items()).backward()

    saved = {}
    saved.update({"input." + n: t.detach() for n, t in inputs.items()})
    saved.update({"output." + n: t.detach() for n, t in outputs.items()})
    saved.update({"upstream." + n: t for n, t in upstream.items()})
    saved.update({"grad.input." + n: t.grad for n, t in inputs.items() if grad_input(n, t)})
    if module is not None:
        saved.update({"param." + n: t.detach() for n, t in module.state_dict().items()})
        saved.update({"grad.param." + n: p.grad for n, p in module.named_parameters()})
    torch.save({n: t.contiguous() for n, t in saved.items()}, os.path.join(folder, case + ".pt"))

    ours = os.path.join(folder, case + ".ours.pt")
    results[case] = "ok"
    if module is not None and os.path.exists(ours):
        try:
            make_module().load_state_dict(torch.load(ours), strict=True)
        except Exception as error:
            results[case] = str(error)
print(json.dumps(results))
