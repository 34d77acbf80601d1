"""Slimmable teacher: width-switchable layers, conversion, classifier.

The names below are the package's public API; helpers such as the channel
rule (:mod:`.width_rule`) or the narrowed configs (:mod:`.narrow_config`)
are imported from their modules.
"""
from .convert import convert_to_slimmable, slimmable_layers
from .export import export_width
from .narrow_config import NARROWABLE_BACKBONES, has_narrow_config
from .ops import SlimmableConv2d, SlimmableLinear
from .slimmable_classifier import SlimmableClassifier
from .switchable_bn import (SwitchableBatchNorm, SwitchableBatchNorm1d,
                            SwitchableBatchNorm2d, widths_missing_from)

__all__ = [
    'NARROWABLE_BACKBONES', 'SlimmableClassifier', 'SlimmableConv2d',
    'SlimmableLinear', 'SwitchableBatchNorm', 'SwitchableBatchNorm1d',
    'SwitchableBatchNorm2d', 'convert_to_slimmable', 'export_width',
    'has_narrow_config', 'slimmable_layers', 'widths_missing_from'
]
