# Loads a language model saved by the platform (weights and shape as the C# test read them from the lake) into
# PyTorch's composition (scripts/text/char_transformer.py) with strict loading, and continues a prompt greedily to
# max_tokens bytes (not stopping at the end-of-text byte).
# usage: /usr/bin/python3 generate_with_torch.py <weights.pt> <shape.json> <prompt> <max_tokens>  -> JSON {"completion": ...}
import json, sys
import torch
from char_transformer import CharTransformer

weights, shape, prompt, max_tokens = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3], int(sys.argv[4])
model = CharTransformer(**{k: shape[k] for k in ("context", "width", "layers", "heads", "dropout")})
model.load_state_dict(torch.load(weights), strict=True)
model.eval()
completion = model.generate_greedy(prompt.encode("utf-8"), max_tokens, stop_at_end=False)
print(json.dumps({"completion": completion.decode("utf-8", errors="replace")}))
