# PyTorch's own composition of the character-level language model in charlm.csx: a state dict the platform saved loads
# here with strict=True, and generates what the platform generates.
#   model = CharTransformer(**{k: params[k] for k in ("context", "width", "layers", "heads", "dropout")})
#   model.load_state_dict(torch.load("weights.pt"), strict=True)
import torch
from torch import nn

END_OF_TEXT = 0


class CharTransformer(nn.Module):
    def __init__(self, context, width, layers, heads, dropout=0.1, vocabulary=256):
        super().__init__()
        self.context = context
        self.token_embedding = nn.Embedding(vocabulary, width)
        self.position_embedding = nn.Embedding(context, width)
        block = nn.TransformerEncoderLayer(width, heads, 4 * width, dropout, activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(block, layers, norm=nn.LayerNorm(width), enable_nested_tensor=False)
        self.head = nn.Linear(width, vocabulary)

    def forward(self, tokens):
        length = tokens.size(1)
        x = self.token_embedding(tokens) + self.position_embedding(torch.arange(length))
        mask = torch.triu(torch.full((length, length), float("-inf")), diagonal=1)
        return self.head(self.encoder(x, mask=mask))

    @torch.no_grad()
    def generate_greedy(self, prompt: bytes, max_tokens: int, stop_at_end=True) -> bytes:
        """The likeliest continuation (the platform's temperature 0), stopping where the model ends the text if asked."""
        context = [END_OF_TEXT] + list(prompt)
        generated = []
        while len(generated) < max_tokens:
            window = torch.tensor([context[-self.context:]])
            following = int(self(window)[0, -1].argmax())
            if following == END_OF_TEXT and stop_at_end:
                break
            generated.append(following)
            context.append(following)
        return bytes(generated)
