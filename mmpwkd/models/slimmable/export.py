"""Export one width of a slimmable classifier as a plain mmpretrain model.

The exported config is an ordinary ``ImageClassifier`` with narrowed width
knobs (:mod:`.narrow_config`), and the state dict is that of the model's
copy at the width (:mod:`.fixed_width`, the same copy a PWKD teacher runs):
the leading slices of the shared weights and that width's own BN, under
stock keys. It loads with
``strict=True`` into stock mmpretrain and gives the slimmable model's logits
at that width. Backbones without width knobs (VGG, hand-built conv nets)
cannot be exported; :func:`export_width` says so.
"""
import copy
from functools import partial
from typing import Dict, Mapping, Tuple

import torch
from torch import Tensor, nn

from mmpwkd.registry import MODELS

from .convert import slimmable_layers
from .fixed_width import fixed_width_copy
from .ops import SlimmableConv2d
from .narrow_config import narrow_backbone_cfg, output_stage

__all__ = ['export_width', 'narrow_classifier_cfg']

# The image size of the forward that finds each layer's input channels
# (any size the exported backbones, all globally pooled, take).
EXAMPLE_SIZE = (32, 32)

# Arguments of SlimmableClassifier that ImageClassifier does not take.
SLIMMABLE_ARGS = ('widths', 'divisor', 'fixed_output', 'sandwich',
                  'inplace_distill', 'distill_temperature', 'eval_all_widths')


def _to_dict(cfg: Mapping) -> dict:
    """A deep copy of a (Config)dict as plain dicts."""
    to_dict = getattr(cfg, 'to_dict', None)
    return copy.deepcopy(to_dict() if to_dict else dict(cfg))


def is_pretrained_cfg(init_cfg: object) -> bool:
    """Whether an ``init_cfg`` (a dict or a list of them) loads a
    checkpoint.

    Args:
        init_cfg (object): An ``init_cfg`` value, None included.

    Returns:
        bool: True if some entry has type ``'Pretrained'``.
    """
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    return any(
        isinstance(cfg, Mapping) and cfg.get('type') == 'Pretrained'
        for cfg in cfgs)


def _feature_channels(model: nn.Module, width: float) -> int:
    """Channels of the backbone output at ``width``: those of the last
    slimmable layer of the stage the head reads."""
    stage = getattr(model.backbone, output_stage(model.backbone))
    layers = list(slimmable_layers(stage).values())
    return layers[-1].channels_per_width[width]


def narrow_classifier_cfg(model: nn.Module, cfg: Mapping,
                         width: float) -> dict:
    """The ``ImageClassifier`` config of one width of ``model``.

    Args:
        model (SlimmableClassifier): The slimmable model built from ``cfg``.
        cfg (Mapping): Its model config.
        width (float): One of ``model.widths``.

    Returns:
        dict: ``cfg`` with type ``ImageClassifier``, without slimmable
        arguments or pretrained full-width weights, with a narrowed backbone
        and head ``in_channels``.
    """
    plain = _to_dict(cfg)
    for key in SLIMMABLE_ARGS + ('pretrained', ):
        plain.pop(key, None)
    plain['type'] = 'ImageClassifier'
    if is_pretrained_cfg(plain.get('init_cfg')):
        plain.pop('init_cfg')
    plain['backbone'] = narrow_backbone_cfg(model.backbone, plain['backbone'],
                                            width, model.divisor)
    if is_pretrained_cfg(plain['backbone'].get('init_cfg')):
        plain['backbone'].pop('init_cfg')
    head = plain.get('head')
    if isinstance(head, dict) and 'in_channels' in head:
        head['in_channels'] = _feature_channels(model, width)
    return plain


def _width_tensors(model: nn.Module, width: float) -> Dict[str, Tensor]:
    """The tensors width ``width`` computes with, under stock keys: the
    state of the model's copy at that width (:func:`fixed_width_copy`),
    found by one forward of a blank image."""
    # The image channels: those of the first convolution (the stem of
    # every backbone that has a plain narrow config).
    stem = next(layer for layer in slimmable_layers(model).values()
                if isinstance(layer, SlimmableConv2d))
    blank = stem.weight.new_zeros(1, stem.in_channels, *EXAMPLE_SIZE)
    mode = model.training
    try:
        with model.width(width), torch.no_grad():
            model.eval()
            _, fixed = fixed_width_copy(
                model, partial(model, blank, mode='tensor'))
    finally:
        model.train(mode)
    if fixed is None:
        raise ValueError('export_width: some layer of the model gets '
                         f'inputs of different widths at width {width}')
    return {key: value.detach() for key, value in
            fixed.model.state_dict().items()}


def _check_out_channels(model: nn.Module, plain_state: Mapping[str, Tensor],
                        width: float) -> None:
    for path, layer in slimmable_layers(model).items():
        keys = [f'{path}.{name}' for name in ('weight', 'running_mean')]
        keys = [key for key in keys if key in plain_state]
        if not keys:
            continue
        found = plain_state[keys[0]].shape[0]
        expected = layer.channels_per_width[width]
        if found != expected:
            raise ValueError(
                f'export_width: "{path}" has {expected} output channels at '
                f'width {width} in the slimmable model but {found} in the '
                'plain config; no plain config expresses this width')


def export_width(model: nn.Module, cfg: Mapping,
                 width: float) -> Tuple[dict, Dict[str, Tensor]]:
    """Export width ``width`` of ``model`` as a plain classifier.

    Args:
        model (SlimmableClassifier): The slimmable model, in memory.
        cfg (Mapping): Its model config (the one it was built from).
        width (float): One of ``model.widths``.

    Returns:
        tuple[dict, dict[str, Tensor]]: The ``ImageClassifier`` config and
        its state dict (contiguous copies on the model's device), which
        loads with ``strict=True``.

    Raises:
        ValueError: If ``width`` is not a width of ``model``, the backbone
            has no plain narrow config, or some layer (a neck or head with
            hidden layers) does not match the plain model.
    """
    if width not in model.widths:
        raise ValueError(f'export_width: width must be one of '
                         f'{model.widths}, got {width!r}')
    plain_cfg = narrow_classifier_cfg(model, cfg, width)
    plain_state = MODELS.build(plain_cfg).state_dict()
    _check_out_channels(model, plain_state, width)
    source = _width_tensors(model, width)
    if set(plain_state) != set(source):
        differing = sorted(set(plain_state) ^ set(source))
        raise ValueError('export_width: the plain model and the slimmable '
                         f'one have different keys: {differing[:5]}')
    for key, target in plain_state.items():
        if source[key].shape != target.shape:
            raise ValueError(f'export_width: "{key}" has shape '
                             f'{tuple(target.shape)} in the plain model but '
                             f'{tuple(source[key].shape)} at width {width}')
    return plain_cfg, {key: tensor.clone() for key, tensor in source.items()}
