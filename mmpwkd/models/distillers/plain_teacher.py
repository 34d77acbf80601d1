"""One width of a frozen slimmable network as a plain network.

Partial to Whole Knowledge Distillation (Zhang, Zhang, Sun, arXiv
2109.12507) runs a frozen slimmable teacher at one width for a whole stage.
A slimmable layer slices its shared weight on every forward, which costs a
copy of the non-contiguous slice per layer and step; a narrow teacher is
cheap enough for that to show. :func:`materialise_width` copies the active
width once into ordinary ``nn.Conv2d`` / ``nn.Linear`` / ``nn.BatchNorm``
layers with contiguous weights; every other module is shallow-copied, so
the copy has the teacher's module paths (``backbone.layer3`` ...).

The copy shares the forward hooks of the modules it copies: a hook on a
teacher module (a feature recorder's, a user's) also sees the copy's module
of the same path, whichever of the two runs.
"""
from collections import OrderedDict
from contextlib import contextmanager
from functools import partial
from typing import Dict, Iterator, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from mmpwkd.models.slimmable import (SlimmableConv2d, SlimmableLinear,
                                     SwitchableBatchNorm, slimmable_layers)

__all__ = ['materialise_width', 'record_input_channels']

# The hook registries of a module; the forward ones are shared with the
# copy, the others (backward, state dict) start empty.
_HOOK_DICTS = tuple(name for name, value in vars(nn.Module()).items()
                    if 'hook' in name and isinstance(value, dict))
_FORWARD_HOOK_DICTS = tuple(name for name in _HOOK_DICTS
                            if name.startswith('_forward'))


@contextmanager
def record_input_channels(model: nn.Module) -> Iterator[Dict[str, int]]:
    """Record the input channels of the slimmable convolutions and linear
    layers of ``model`` during the block.

    Args:
        model (nn.Module): A slimmable network.

    Yields:
        dict[str, int]: Module path to the input channels (features) the
        layer last ran with.
    """
    channels: Dict[str, int] = {}

    def record(path: str, module: nn.Module, inputs: Sequence) -> None:
        dim = -1 if isinstance(module, nn.Linear) else 1
        channels[path] = inputs[0].shape[dim]

    handles = [
        layer.register_forward_pre_hook(partial(record, path))
        for path, layer in slimmable_layers(model).items()
        if isinstance(layer, (SlimmableConv2d, SlimmableLinear))
    ]
    try:
        yield channels
    finally:
        for handle in handles:
            handle.remove()


def _frozen(tensor: Optional[Tensor],
            like: Optional[Tensor] = None) -> Optional[nn.Parameter]:
    """A frozen dense copy of ``tensor`` (a slice), in the memory format of
    the whole tensor ``like`` it was cut from: a channels-last teacher
    stays channels-last."""
    if tensor is None:
        return None
    channels_last = (
        like is not None and like.dim() == 4
        and like.is_contiguous(memory_format=torch.channels_last)
        and not like.is_contiguous())
    memory_format = (torch.channels_last
                     if channels_last else torch.contiguous_format)
    return nn.Parameter(
        tensor.detach().clone(memory_format=memory_format),
        requires_grad=False)


def _share_forward_hooks(target: nn.Module, source: nn.Module) -> None:
    for name in _FORWARD_HOOK_DICTS:
        target.__dict__[name] = source.__dict__[name]


def _plain_conv(layer: SlimmableConv2d, in_channels: int) -> nn.Conv2d:
    out_channels = layer.active_channels
    groups = layer._active_groups(in_channels, out_channels)
    conv = nn.Conv2d(
        in_channels,
        out_channels,
        layer.kernel_size,
        layer.stride,
        layer.padding,
        layer.dilation,
        groups,
        layer.bias is not None,
        layer.padding_mode,
        device='meta')
    conv.weight = _frozen(layer.weight[:out_channels, :in_channels // groups],
                          layer.weight)
    conv.bias = _frozen(
        None if layer.bias is None else layer.bias[:out_channels])
    return conv


def _plain_linear(layer: SlimmableLinear, in_features: int) -> nn.Linear:
    out_features = layer.active_channels
    linear = nn.Linear(
        in_features, out_features, layer.bias is not None, device='meta')
    linear.weight = _frozen(layer.weight[:out_features, :in_features])
    linear.bias = _frozen(
        None if layer.bias is None else layer.bias[:out_features])
    return linear


def _plain_bn(layer: SwitchableBatchNorm) -> nn.Module:
    bn_type = (nn.BatchNorm2d
               if isinstance(layer, nn.BatchNorm2d) else nn.BatchNorm1d)
    bn = bn_type(
        layer.active_channels,
        layer.eps,
        layer.momentum,
        layer.affine,
        layer.track_running_stats,
        device='meta')
    state = layer.state_at(layer.active_width)
    bn.load_state_dict({name: tensor.clone()
                        for name, tensor in state.items()},
                       assign=True)
    return bn


def _shallow_copy(module: nn.Module,
                  children: Dict[str, Optional[nn.Module]]) -> nn.Module:
    """``module`` with other children, sharing its tensors and forward
    hooks."""
    state = dict(vars(module))
    for name in _HOOK_DICTS:
        if name not in _FORWARD_HOOK_DICTS:
            state[name] = OrderedDict()
    state['_parameters'] = dict(module._parameters)
    state['_buffers'] = dict(module._buffers)
    state['_modules'] = children
    clone = object.__new__(type(module))
    clone.__dict__.update(state)
    return clone


def _materialise(module: nn.Module, path: str,
                 in_channels: Mapping[str, int]) -> nn.Module:
    if isinstance(module, SwitchableBatchNorm):
        plain = _plain_bn(module)
    elif isinstance(module, SlimmableConv2d) and path in in_channels:
        plain = _plain_conv(module, in_channels[path])
    elif isinstance(module, SlimmableLinear) and path in in_channels:
        plain = _plain_linear(module, in_channels[path])
    else:
        prefix = f'{path}.' if path else ''
        return _shallow_copy(
            module, {
                name: None if child is None else _materialise(
                    child, prefix + name, in_channels)
                for name, child in module._modules.items()
            })
    _share_forward_hooks(plain, module)
    return plain


def materialise_width(model: nn.Module,
                      in_channels: Mapping[str, int]) -> nn.Module:
    """The active width of ``model`` as a frozen plain network.

    Args:
        model (nn.Module): A slimmable network at the width to copy.
        in_channels (Mapping[str, int]): Input channels of its slimmable
            convolutions and linear layers at that width, from
            :func:`record_input_channels`. A layer missing here (one that
            did not run) stays slimmable, sharing its weight.

    Returns:
        nn.Module: A network of the same type and module paths, in eval
        mode and without gradients, giving ``model``'s outputs. It is not
        registered anywhere: its owner keeps it out of its module tree.
    """
    net = _materialise(model, '', in_channels)
    net.eval()
    net.requires_grad_(False)
    return net
