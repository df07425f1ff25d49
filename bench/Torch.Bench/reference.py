# PyTorch side of the tensor-engine benchmark: the same CNN, data order, batch size and thread count as Program.cs.
# usage: /usr/bin/python3 reference.py <threads> <epochs>   -> prints one JSON line per measurement
import gzip, json, struct, sys, time
import numpy as np
import torch
import torch.nn.functional as F
from reference_cnn import ReferenceCnn

threads, epochs = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(1)
FOLDER = "/usr/share/datasets/fashion-mnist"

def images(split):
    with gzip.open(f"{FOLDER}/{split}-images-idx3-ubyte.gz") as f:
        data = f.read()
    n = struct.unpack(">I", data[4:8])[0]
    return torch.from_numpy(np.frombuffer(data, np.uint8, n * 784, 16).astype(np.float32) / 255.0).reshape(n, 784)

def labels(split):
    with gzip.open(f"{FOLDER}/{split}-labels-idx1-ubyte.gz") as f:
        return torch.from_numpy(np.frombuffer(f.read(), np.uint8, -1, 8).astype(np.int64))

train_x, train_y, test_x, test_y = images("train"), labels("train"), images("t10k"), labels("t10k")
model = ReferenceCnn()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(epochs):
    model.train()
    start = time.perf_counter()
    for i in range(0, len(train_y), 64):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(train_x[i:i + 64]), train_y[i:i + 64])
        loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        correct = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item() for i in range(0, len(test_y), 1000))
    print(json.dumps({"epoch": epoch + 1, "seconds": seconds, "accuracy": correct / len(test_y)}), flush=True)

with torch.no_grad():
    one = test_x[:1]
    for _ in range(20): model(one)
    samples = []
    for _ in range(300):
        start = time.perf_counter(); model(one); samples.append(time.perf_counter() - start)
    batch = test_x[:256]
    for _ in range(3): model(batch)
    start = time.perf_counter(); rounds = 20
    for _ in range(rounds): model(batch)
    throughput = rounds * 256 / (time.perf_counter() - start)
print(json.dumps({"latency_ms": float(np.median(samples)) * 1000, "throughput": throughput}), flush=True)
