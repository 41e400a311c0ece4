"""A BERT encoder in plain torch, for inference with weights from ``model.safetensors``.

Only what sentence embedding needs (no dropout, no pooler, no training). It exists because
importing ``transformers``' BERT costs ~2 s per process here, a third of the cold-start budget.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F


class _Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, intermediate: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attention_out = nn.Linear(hidden, hidden)
        self.attention_norm = nn.LayerNorm(hidden, eps=eps)
        self.intermediate = nn.Linear(hidden, intermediate)
        self.output = nn.Linear(intermediate, hidden)
        self.output_norm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        head_dim = hidden // self.heads

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, head_dim).transpose(1, 2)

        context = F.scaled_dot_product_attention(
            split(self.query(x)), split(self.key(x)), split(self.value(x)), attn_mask=mask
        )
        context = context.transpose(1, 2).reshape(batch, length, hidden)
        x = self.attention_norm(x + self.attention_out(context))
        return self.output_norm(x + self.output(F.gelu(self.intermediate(x))))


class BertEncoder(nn.Module):
    def __init__(self, config: dict) -> None:
        super().__init__()
        hidden, eps = config["hidden_size"], config.get("layer_norm_eps", 1e-12)
        self.word = nn.Embedding(config["vocab_size"], hidden)
        self.position = nn.Embedding(config["max_position_embeddings"], hidden)
        self.token_type = nn.Embedding(config.get("type_vocab_size", 2), hidden)
        self.norm = nn.LayerNorm(hidden, eps=eps)
        self.layers = nn.ModuleList(
            _Layer(hidden, config["num_attention_heads"], config["intermediate_size"], eps)
            for _ in range(config["num_hidden_layers"])
        )

    def forward(
        self,
        ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_types: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Hidden states; ``token_types`` marks the second text of a pair (a cross-encoder)."""
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        types = torch.zeros_like(ids) if token_types is None else token_types
        x = self.norm(self.word(ids) + self.position(positions) + self.token_type(types))
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, mask)
        return x

    @classmethod
    def from_folder(cls, folder: Path, layers: int | None = None) -> BertEncoder:
        """The model in ``folder``; ``layers`` keeps only the first N layers (a smaller model)."""
        from safetensors.torch import load_file

        config = json.loads((folder / "config.json").read_text())
        if layers is not None:
            config["num_hidden_layers"] = min(layers, config["num_hidden_layers"])
        if config.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"unsupported activation {config.get('hidden_act')}")
        model = cls(config)
        weights = load_file(str(folder / "model.safetensors"))
        prefix = "bert." if any(k.startswith("bert.") for k in weights) else ""
        mapping = {
            "word.weight": "embeddings.word_embeddings.weight",
            "position.weight": "embeddings.position_embeddings.weight",
            "token_type.weight": "embeddings.token_type_embeddings.weight",
            "norm.weight": "embeddings.LayerNorm.weight",
            "norm.bias": "embeddings.LayerNorm.bias",
        }
        names = {
            "query": "attention.self.query",
            "key": "attention.self.key",
            "value": "attention.self.value",
            "attention_out": "attention.output.dense",
            "attention_norm": "attention.output.LayerNorm",
            "intermediate": "intermediate.dense",
            "output": "output.dense",
            "output_norm": "output.LayerNorm",
        }
        for i in range(config["num_hidden_layers"]):
            for ours, theirs in names.items():
                for part in ("weight", "bias"):
                    mapping[f"layers.{i}.{ours}.{part}"] = f"encoder.layer.{i}.{theirs}.{part}"
        model.load_state_dict({ours: weights[prefix + theirs] for ours, theirs in mapping.items()})
        return model.eval()
