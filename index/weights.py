"""Reading model weights that ``training.common.export_weights`` wrote (shipped models).

A state dict as safetensors, floats in fp16 or as int8 rows with a ``<name>.scale`` beside
each, compressed with gzip (``.gz``) or xz (``.xz``). Lives here, not in ``training``, because
the answer path loads shipped models and must not import the training code.
"""

from __future__ import annotations

import gzip
import lzma
from pathlib import Path

import torch


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The state dict in float32 (int8 matrices multiplied back by their row scales)."""
    from safetensors.torch import load

    data = path.read_bytes()
    raw = lzma.decompress(data) if path.name.endswith(".xz") else gzip.decompress(data)
    tensors = load(raw)
    state = {}
    for name, tensor in tensors.items():
        if name.endswith(".scale"):
            continue
        scale = tensors.get(f"{name}.scale")
        if scale is not None:
            state[name] = tensor.float() * scale.float()
        else:
            state[name] = tensor.float() if tensor.is_floating_point() else tensor
    return state
