# PyTorch side of TrainingStepTests.cs: 20 steps of least squares with an optimizer, a learning-rate schedule and
# gradient clipping per case. Saves the starting data as <folder>/data.pt and prints, per case, the learning rate after
# construction and after every step, the gradient norms clipping reported, and the final parameters (JSON object).
#   /usr/bin/python3 training_steps.py <folder>
import json, math, os, sys
import torch
import torch.nn.functional as F
from torch.optim import lr_scheduler

folder = sys.argv[1]
STEPS = 20
torch.manual_seed(17)
data = {"w": torch.randn(3, 6), "b": torch.randn(3), "x": torch.randn(32, 6), "y": torch.randn(32, 3)}
torch.save(data, os.path.join(folder, "data.pt"))

# case -> (optimizer, schedule or None, clipping (max_norm, norm_type) or None); the C# twins are in TrainingStepTests.cs.
CASES = {
    "rmsprop": (lambda p: torch.optim.RMSprop(p, lr=0.01), None, None),
    "rmsprop_centered_momentum": (lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=True), None, None),
    "sgd_cosine_clip": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9), lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001), (0.5, 2.0)),
    "adam_linear_warmup": (lambda p: torch.optim.Adam(p, lr=0.01), lambda o: lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=8), None),
    "adam_one_cycle": (lambda p: torch.optim.Adam(p, lr=0.01), lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.05, total_steps=STEPS), None),
    "sgd_one_cycle_linear_inf_clip": (lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
                                      lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.2, total_steps=STEPS, anneal_strategy="linear", pct_start=0.25),
                                      (1.0, math.inf)),
}

results = {}
for case, (make_optimizer, make_schedule, clip) in CASES.items():
    w, b = data["w"].clone().requires_grad_(), data["b"].clone().requires_grad_()
    optimizer = make_optimizer([w, b])
    schedule = make_schedule(optimizer) if make_schedule else None
    lrs, norms = [optimizer.param_groups[0]["lr"]], []
    for _ in range(STEPS):
        optimizer.zero_grad()
        F.mse_loss(data["x"] @ w.T + b, data["y"]).backward()
        if clip:
            norms.append(float(torch.nn.utils.clip_grad_norm_([w, b], clip[0], norm_type=clip[1])))
        optimizer.step()
        if schedule:
            schedule.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    results[case] = {"lrs": lrs, "norms": norms, "params": torch.cat([w.detach().flatten(), b.detach()]).tolist()}
print(json.dumps(results))
