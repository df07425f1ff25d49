# PyTorch side of AdamTests.cs: runs torch.optim.Adam/AdamW on a linear least-squares problem and prints the final
# parameters, so the engine's optimizer can be checked against PyTorch's update rule.
#   /usr/bin/python3 adam_steps.py <adam|amsgrad|adamw> <float32|float64> <steps> <folder with w, b, x, y as .f32>
import json, os, sys
import numpy as np
import torch
import torch.nn.functional as F

kind, dtype, steps, folder = sys.argv[1], getattr(torch, sys.argv[2]), int(sys.argv[3]), sys.argv[4]
load = lambda name, *shape: torch.from_numpy(np.fromfile(os.path.join(folder, name + ".f32"), dtype=np.float32).reshape(*shape)).to(dtype)
x, y = load("x", 32, 16), load("y", 32, 8)
w, b = load("w", 8, 16).requires_grad_(), load("b", 8).requires_grad_()
if kind == "adamw":
    optimizer = torch.optim.AdamW([w, b], lr=0.01, weight_decay=0.1)
else:
    optimizer = torch.optim.Adam([w, b], lr=0.01, weight_decay=0.01, amsgrad=kind == "amsgrad")
for _ in range(steps):
    optimizer.zero_grad()
    F.mse_loss(x @ w.T + b, y).backward()
    optimizer.step()
print(json.dumps(torch.cat([w.detach().flatten(), b.detach()]).tolist()))
