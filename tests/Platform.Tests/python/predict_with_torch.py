# Loads a state dict saved by the platform (bytes read from the lake by the C# test) into PyTorch's own model and
# predicts the given images, so the test can compare with the platform's predictions.
# usage: /usr/bin/python3 predict_with_torch.py <weights.pt> <images.f32> <count>   -> JSON list of labels
import json, sys
import numpy as np
import torch
import torch.nn.functional as F
from reference_cnn import ReferenceCnn

weights, images, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
model = ReferenceCnn()
model.load_state_dict(torch.load(weights), strict=True)
model.eval()
x = torch.from_numpy(np.fromfile(images, dtype=np.float32).reshape(count, 784))
with torch.no_grad():
    probabilities = F.softmax(model(x), dim=1)
print(json.dumps({"labels": probabilities.argmax(1).tolist(), "probabilities": probabilities.tolist()}))
