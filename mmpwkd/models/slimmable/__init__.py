"""Slimmable teacher: width-switchable layers, conversion, classifier."""
from .convert import (channel_tables_of, convert_to_slimmable,
                      set_module_width, slimmable_layers)
from .export import export_width, plain_classifier_cfg, width_state_dict
from .ops import (SlimmableConv2d, SlimmableLayer, SlimmableLinear,
                  check_channel_table)
from .plain_width import (PLAIN_WIDTH_BACKBONES, PlainWidthSpec,
                          has_plain_width, narrow_backbone_cfg, output_stage,
                          plain_channel_tables)
from .slimmable_classifier import SlimmableClassifier
from .switchable_bn import (SwitchableBatchNorm, SwitchableBatchNorm1d,
                            SwitchableBatchNorm2d, widths_missing_from)
from .width_rule import check_widths, scaled_channels, width_key

__all__ = [
    'PLAIN_WIDTH_BACKBONES', 'PlainWidthSpec', 'SlimmableClassifier',
    'SlimmableConv2d', 'SlimmableLayer', 'SlimmableLinear',
    'SwitchableBatchNorm', 'SwitchableBatchNorm1d', 'SwitchableBatchNorm2d',
    'channel_tables_of', 'check_channel_table', 'check_widths',
    'convert_to_slimmable', 'export_width', 'has_plain_width',
    'narrow_backbone_cfg', 'output_stage', 'plain_channel_tables',
    'plain_classifier_cfg', 'scaled_channels', 'set_module_width',
    'slimmable_layers', 'width_key', 'width_state_dict', 'widths_missing_from'
]
