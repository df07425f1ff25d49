# PyTorch side of the transformer-block benchmark (TransformerBlock.cs): the same block, shapes, loss and thread count.
# usage: /usr/bin/python3 transformer.py <threads> <iterations>   -> prints {"median_ms": ...}
import json, sys, time
import torch
import torch.nn as nn

threads, iterations = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(2)
block = nn.TransformerEncoderLayer(256, 8, 1024, dropout=0.1, batch_first=True)
x = torch.randn(32, 128, 256)
samples = []
for i in range(iterations + 3):
    start = time.perf_counter()
    block.zero_grad(set_to_none=True)
    block(x).pow(2).mean().backward()
    if i >= 3:
        samples.append((time.perf_counter() - start) * 1000)
samples.sort()
print(json.dumps({"median_ms": samples[len(samples) // 2]}))
