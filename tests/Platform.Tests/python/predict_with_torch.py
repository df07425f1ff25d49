# Loads a state dict saved by the platform (bytes read from the lake by the C# test) into PyTorch's own model and
# predicts the given images, so the test can compare with the platform's predictions.
# usage: /usr/bin/python3 predict_with_torch.py <weights.pt> <images.f32> <count>   -> JSON list of labels
import json, sys
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

class ReferenceCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(3136, 128)
        self.fc2 = nn.Linear(128, 10)
        self.dropout = nn.Dropout(0.25)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x.reshape(-1, 1, 28, 28))), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(self.dropout(F.relu(self.fc1(x.flatten(1)))))

weights, images, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = ReferenceCnn()
model.load_state_dict(torch.load(weights), strict=True)
model.eval()
x = torch.from_numpy(np.fromfile(images, dtype=np.float32).reshape(count, 784))
with torch.no_grad():
    probabilities = F.softmax(model(x), dim=1)
print(json.dumps({"labels": probabilities.argmax(1).tolist(), "probabilities": probabilities.tolist()}))
