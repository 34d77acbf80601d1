"""Checks shared by the backbone tests: build through the registry, run a
tiny forward and backward pass, count activation calls."""
from typing import Dict, List, Tuple

import torch
import torch.nn as nn

import mmpwkd.models.backbones  # noqa: F401  (registers the backbones)
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules


def run_backbone(cfg: dict,
                 size: int = 32,
                 in_channels: int = 3) -> List[Tuple[int, ...]]:
    """Build ``cfg``, forward a batch of 2, backward the outputs.

    Returns the (C, H, W) of each output, after checking that every
    parameter received a gradient, so no layer is left out of the forward.
    """
    register_all_modules()
    backbone = MODELS.build(cfg)
    outs = backbone(torch.randn(2, in_channels, size, size))
    assert isinstance(outs, tuple)
    sum(out.mean() for out in outs).backward()
    missing = [n for n, p in backbone.named_parameters() if p.grad is None]
    assert not missing, f'parameters without gradient: {missing[:5]}'
    return [tuple(out.shape[1:]) for out in outs]


def activation_calls(model: nn.Module, x: torch.Tensor) -> Dict[str, int]:
    """How often each ReLU module runs in one forward pass, by name."""
    calls = {}
    handles = []
    for name, module in model.named_modules():
        if isinstance(module, nn.ReLU):
            calls[name] = 0
            handles.append(
                module.register_forward_hook(
                    lambda m, i, o, name=name: calls.update(
                        {name: calls[name] + 1})))
    model(x)
    for handle in handles:
        handle.remove()
    return calls
