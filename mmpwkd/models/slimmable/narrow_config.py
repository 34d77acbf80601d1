"""Plain mmpretrain backbone configs of a narrower width.

Some backbones have config knobs for their width: ResNet's ``stem_channels``
and ``base_channels`` (with ResNeXt's ``groups``), MobileNetV2's
``widen_factor``; of mmpwkd's CIFAR backbones, the ``arch`` dict of
``CIFARResNet`` and the ``widen_factor`` of ``CIFARMobileNetV2``
(``CIFARWideResNet`` has none: its 16-channel stem is fixed and its
``widen_factor`` an integer). For those, the sub-network of width ``w`` of a
slimmable model is defined as the plain backbone with narrowed knobs: each
layer's channels are read from that backbone (:func:`narrow_channel_tables`).
So a width can always be exported as an ordinary config, and the
architecture's own rules hold at every width (both MobileNetV2s expand their
narrowed inputs and keep 1280 final channels, as in S-MobileNetV2; SE layers
keep their ``make_divisible`` squeeze).

The knobs themselves follow :func:`scaled_channels`; at the standard widths
with divisor 1 the ResNet family then has exactly the per-layer truncation
``int(C * w)`` of S-ResNet.
"""
import copy
import inspect
from operator import attrgetter
from typing import Callable, Dict, Mapping, NamedTuple, Sequence

from mmpretrain.models.backbones import (MobileNetV2, ResNet, ResNet_CIFAR,
                                         ResNetV1c, ResNetV1d, ResNeXt,
                                         SEResNet, SEResNeXt)
from torch import nn

from mmpwkd.models.backbones import CIFARMobileNetV2, CIFARResNet, CIFARVGG
from mmpwkd.registry import MODELS

from .convert import ChannelTable, channel_tables_of
from .width_rule import scaled_channels

__all__ = [
    'NarrowingSpec', 'NARROWABLE_BACKBONES', 'has_narrow_config',
    'narrow_backbone_cfg', 'output_stage', 'narrow_channel_tables'
]

NarrowFn = Callable[[nn.Module, dict, float, int], dict]
StagesFn = Callable[[nn.Module], Sequence[str]]


class NarrowingSpec(NamedTuple):
    """How to narrow a backbone type with its config.

    Attributes:
        narrow (NarrowFn): ``(backbone, cfg, width, divisor) -> cfg`` with
            narrowed knobs.
        stages (StagesFn): ``backbone -> names`` of the stage modules,
            indexed by ``out_indices``.
    """

    narrow: NarrowFn
    stages: StagesFn


def _narrow_resnet(backbone: ResNet, cfg: dict, width: float,
                   divisor: int) -> dict:
    cfg['stem_channels'] = scaled_channels(backbone.stem_channels, width,
                                           divisor)
    cfg['base_channels'] = scaled_channels(backbone.base_channels, width,
                                           divisor)
    return cfg


def _narrow_resnext(backbone: ResNeXt, cfg: dict, width: float,
                    divisor: int) -> dict:
    # Groups scale with the channels; each group keeps its width. At
    # groups=1 ResNeXt falls back to the ResNet bottleneck widths, so a
    # grouped backbone must stay grouped.
    if backbone.groups != 1:
        groups = backbone.groups * width
        if groups != int(groups) or groups == 1:
            raise ValueError(f'{type(backbone).__name__} with groups='
                             f'{backbone.groups} has no plain config of '
                             f'width {width}: groups * width = {groups} '
                             'must be an integer above 1')
        cfg['groups'] = int(groups)
    return _narrow_resnet(backbone, cfg, width, divisor)


def _narrow_mobilenet_v2(backbone: MobileNetV2, cfg: dict, width: float,
                         divisor: int) -> dict:
    # MobileNetV2 rounds to multiples of 8 itself; ``divisor`` is unused.
    cfg['widen_factor'] = backbone.widen_factor * width
    return cfg


def _narrow_cifar_mobilenet_v2(backbone: CIFARMobileNetV2, cfg: dict,
                               width: float, divisor: int) -> dict:
    # The backbone does not keep its widen_factor: read the config, or the
    # constructor's default that the config relied on. Channels truncate
    # like MobileNetV2's, so ``divisor`` is unused too.
    default = inspect.signature(CIFARMobileNetV2).parameters['widen_factor']
    cfg['widen_factor'] = cfg.get('widen_factor', default.default) * width
    return cfg


def _narrow_cifar_resnet(backbone: CIFARResNet, cfg: dict, width: float,
                         divisor: int) -> dict:
    cfg['arch'] = dict(
        depth=2 + 6 * len(backbone.layer1),
        stem_channels=scaled_channels(backbone.stem.conv.out_channels, width,
                                      divisor),
        stage_channels=[
            scaled_channels(channels, width, divisor)
            for channels in backbone.out_channels
        ])
    return cfg


def _narrow_cifar_vgg(backbone: CIFARVGG, cfg: dict, width: float,
                      divisor: int) -> dict:
    cfg['arch'] = [[
        scaled_channels(module.out_channels, width, divisor)
        for name, module in getattr(backbone, stage).named_children()
        if name.startswith('conv')
    ] for stage in _cifar_vgg_stages(backbone)]
    return cfg


def _cifar_vgg_stages(backbone: CIFARVGG) -> Sequence[str]:
    return tuple(f'layer{index}' for index in range(1, 6))


def _cifar_resnet_stages(backbone: CIFARResNet) -> Sequence[str]:
    return ('layer1', 'layer2', 'layer3')


def _cifar_mobilenet_v2_stages(backbone: CIFARMobileNetV2) -> Sequence[str]:
    return tuple(f'layer{index + 1}'
                 for index in range(len(backbone.stage_settings))) + (
                     'final_conv', )


_RESNET = NarrowingSpec(_narrow_resnet, attrgetter('res_layers'))
_RESNEXT = NarrowingSpec(_narrow_resnext, attrgetter('res_layers'))

# Exact types: a subclass may build its layers differently.
NARROWABLE_BACKBONES: Dict[type, NarrowingSpec] = {
    ResNet: _RESNET,
    ResNetV1c: _RESNET,
    ResNetV1d: _RESNET,
    ResNet_CIFAR: _RESNET,
    SEResNet: _RESNET,
    ResNeXt: _RESNEXT,
    SEResNeXt: _RESNEXT,
    MobileNetV2: NarrowingSpec(_narrow_mobilenet_v2, attrgetter('layers')),
    CIFARResNet: NarrowingSpec(_narrow_cifar_resnet, _cifar_resnet_stages),
    CIFARVGG: NarrowingSpec(_narrow_cifar_vgg, _cifar_vgg_stages),
    CIFARMobileNetV2: NarrowingSpec(_narrow_cifar_mobilenet_v2,
                                     _cifar_mobilenet_v2_stages),
}


def has_narrow_config(backbone: nn.Module) -> bool:
    """Whether a plain config can narrow ``backbone``.

    Args:
        backbone (nn.Module): A built backbone.

    Returns:
        bool: True for the types of :data:`NARROWABLE_BACKBONES`.
    """
    return type(backbone) in NARROWABLE_BACKBONES


def _spec(backbone: nn.Module) -> NarrowingSpec:
    spec = NARROWABLE_BACKBONES.get(type(backbone))
    if spec is None:
        names = sorted(cls.__name__ for cls in NARROWABLE_BACKBONES)
        raise ValueError(f'{type(backbone).__name__} has no plain config of '
                         f'a narrower width (its channels are not config '
                         f'arguments); supported backbones: {names}')
    return spec


def narrow_backbone_cfg(backbone: nn.Module, cfg: Mapping, width: float,
                        divisor: int = 1) -> dict:
    """The plain config of ``backbone`` at ``width``.

    Args:
        backbone (nn.Module): The full-width backbone built from ``cfg``
            (its attributes give the knobs' defaults).
        cfg (Mapping): Its config.
        width (float): Width multiplier in (0, 1].
        divisor (int): Divisor of :func:`scaled_channels`. Defaults to 1.

    Returns:
        dict: A copy of ``cfg`` with narrowed width knobs.

    Raises:
        ValueError: If the backbone type has no width knobs, or they cannot
            express ``width``.
    """
    spec = _spec(backbone)
    return spec.narrow(backbone, copy.deepcopy(dict(cfg)), width, divisor)


def output_stage(backbone: nn.Module) -> str:
    """Name of the stage whose output the head reads (the last of
    ``out_indices``).

    Args:
        backbone (nn.Module): A backbone of :data:`NARROWABLE_BACKBONES`.

    Returns:
        str: A child name of ``backbone``, e.g. ``'layer4'``.
    """
    stages = _spec(backbone).stages(backbone)
    return stages[max(backbone.out_indices)]


def narrow_channel_tables(backbone: nn.Module,
                         cfg: Mapping,
                         widths: Sequence[float],
                         divisor: int = 1,
                         prefix: str = 'backbone.'
                         ) -> Dict[str, ChannelTable]:
    """Per-layer channels of the plain narrowed backbones.

    Builds the plain backbone of every width below 1.0 and reads the output
    channels of each layer.

    Args:
        backbone (nn.Module): The full-width backbone built from ``cfg``.
        cfg (Mapping): Its config.
        widths (Sequence[float]): Width multipliers, ending with 1.0.
        divisor (int): Divisor of :func:`scaled_channels`. Defaults to 1.
        prefix (str): Prefix of the returned paths. Defaults to
            ``'backbone.'``.

    Returns:
        dict[str, dict[float, int]]: Layer path to channels per width.
    """
    narrow = {
        width: MODELS.build(narrow_backbone_cfg(backbone, cfg, width,
                                                divisor))
        for width in widths if width != 1
    }
    narrow[1.0] = backbone
    return channel_tables_of(narrow, prefix)
