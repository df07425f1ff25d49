# PyTorch side of the state-dict interop tests. The model matches SmallNet in InteropTests.cs.
#   /usr/bin/python3 interop.py logits <weights.pt> <input.f32>      -> JSON logits of the C#-saved weights
#   /usr/bin/python3 interop.py save <weights.pt> <input.f32>        -> saves seeded weights, prints their logits
import json, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 14 * 14, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn(self.conv(x.reshape(-1, 1, 28, 28)))), 2)
        return self.fc(x.flatten(1))

command, weights, inputs = sys.argv[1:4]
x = torch.from_numpy(np.fromfile(inputs, dtype=np.float32).reshape(-1, 784))
model = SmallNet()
if command == "logits":
    model.load_state_dict(torch.load(weights), strict=True)
else:
    torch.manual_seed(7)
    model = SmallNet()
    with torch.no_grad():
        model.bn.running_mean.uniform_(-0.5, 0.5)
        model.bn.running_var.uniform_(0.5, 1.5)
    torch.save(dict(model.state_dict()), weights)
model.eval()
with torch.no_grad():
    print(json.dumps(model(x).flatten().tolist()))
