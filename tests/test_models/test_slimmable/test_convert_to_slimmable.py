import pytest
import torch
from mmcv.cnn import ConvModule
from torch import nn

from mmpwkd.models.slimmable import (SlimmableConv2d, SlimmableLinear,
                                     SwitchableBatchNorm2d,
                                     convert_to_slimmable, slimmable_layers)
from mmpwkd.models.slimmable.convert import (channel_tables_of,
                                             set_module_width)

WIDTHS = (0.25, 0.5, 1.0)


def _net() -> nn.Sequential:
    return nn.Sequential(
        ConvModule(3, 16, 3, padding=1, norm_cfg=dict(type='BN')),
        nn.MaxPool2d(2), nn.Dropout(0.0), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(16, 10))


def test_converts_in_place_and_keeps_keys():
    net = _net()
    keys = set(net.state_dict())
    pool = net[1]
    assert convert_to_slimmable(net, WIDTHS, fixed_output=['5']) is net
    assert isinstance(net[0].conv, SlimmableConv2d)
    assert isinstance(net[0].bn, SwitchableBatchNorm2d)
    assert isinstance(net[5], SlimmableLinear)
    assert net[1] is pool
    new_keys = set(net.state_dict()) - keys
    assert keys < set(net.state_dict())
    assert all('.narrow_bns.' in key for key in new_keys)
    assert net[0].conv.channels_per_width == {0.25: 4, 0.5: 8, 1.0: 16}
    assert net[5].channels_per_width == {0.25: 10, 0.5: 10, 1.0: 10}


def test_converted_network_runs_at_every_width():
    torch.manual_seed(0)
    net = convert_to_slimmable(_net(), WIDTHS, fixed_output=['5'])
    x = torch.randn(2, 3, 8, 8)
    for width in WIDTHS:
        set_module_width(net, width)
        assert net(x).shape == (2, 10)
        assert net[0](x).shape[1] == int(16 * width)


def test_keeps_device_dtype_and_frozen_parameters():
    net = _net().double()
    net[0].conv.weight.requires_grad_(False)
    convert_to_slimmable(net, WIDTHS)
    assert not net[0].conv.weight.requires_grad
    assert net[0].bn.narrow_bns['0_5'].weight.dtype == torch.float64
    assert net[5].weight.dtype == torch.float64


def test_fixed_output_covers_submodules():
    net = _net()
    convert_to_slimmable(net, WIDTHS, fixed_output=['0'])
    assert net[0].conv.channels_per_width[0.25] == 16
    assert net[0].bn.channels_per_width[0.25] == 16
    assert net[5].channels_per_width[0.25] == 2


def test_divisor_and_channel_tables():
    net = _net()
    convert_to_slimmable(
        net,
        WIDTHS,
        divisor=8,
        channel_tables={'5': {
            0.25: 3,
            0.5: 6,
            1.0: 10
        }})
    assert net[0].conv.channels_per_width == {0.25: 8, 0.5: 8, 1.0: 16}
    assert net[5].channels_per_width == {0.25: 3, 0.5: 6, 1.0: 10}


@pytest.mark.parametrize('kwargs, message', [
    (dict(fixed_output=['head.fc']), 'fixed_output names "head.fc"'),
    (dict(channel_tables={'9': {}}), 'channel_tables names "9"'),
    (dict(channel_tables={'1': {1.0: 1}}), 'not sliceable layers'),
    (dict(channel_tables={'5': {
        0.5: 5,
        1.0: 10
    }}), r'has widths \[0.5, 1.0\]'),
    (dict(channel_tables={'5': {
        0.25: 6,
        0.5: 5,
        1.0: 10
    }}), r'"5": channels must not decrease'),
])
def test_rejects_bad_paths_and_tables(kwargs, message):
    with pytest.raises(ValueError, match=message):
        convert_to_slimmable(_net(), WIDTHS, **kwargs)


class _Conv2dSubclass(nn.Conv2d):
    """Stands for mmcv's Conv2dAdaptivePadding: a changed forward."""


@pytest.mark.parametrize('module, name', [
    (nn.LayerNorm(4), 'LayerNorm'),
    (nn.GroupNorm(2, 4), 'GroupNorm'),
    (nn.MultiheadAttention(4, 2), 'MultiheadAttention'),
    (_Conv2dSubclass(4, 4, 1), '_Conv2dSubclass'),
])
def test_rejects_modules_it_cannot_slice(module, name):
    net = nn.Sequential(nn.Conv2d(3, 4, 1), nn.Sequential(nn.ReLU(), module))
    with pytest.raises(ValueError, match=f'cannot slice "1.1" \\({name}\\)'):
        convert_to_slimmable(net, WIDTHS)


def test_rejects_a_second_conversion():
    net = convert_to_slimmable(_net(), WIDTHS)
    with pytest.raises(ValueError, match='"0.conv" is already slimmable'):
        convert_to_slimmable(net, WIDTHS)


def test_converts_a_bare_layer():
    conv = nn.Conv2d(3, 8, 1)
    layer = convert_to_slimmable(conv, WIDTHS)
    assert isinstance(layer, SlimmableConv2d)
    assert layer.weight is conv.weight


def test_channel_tables_of_and_layer_listing():
    narrow = {
        0.5: nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4)),
        1.0: nn.Sequential(nn.Conv2d(3, 8, 1), nn.BatchNorm2d(8)),
    }
    tables = channel_tables_of(narrow, prefix='net.')
    assert tables == {'net.0': {0.5: 4, 1.0: 8}, 'net.1': {0.5: 4, 1.0: 8}}
    net = convert_to_slimmable(narrow[1.0], (0.5, 1.0))
    assert list(slimmable_layers(net)) == ['0', '1']
    narrow[0.5].append(nn.Linear(2, 2))
    with pytest.raises(ValueError, match='other layers than the full one'):
        channel_tables_of(narrow)


def test_grouped_conv_without_whole_groups_fails_at_build():
    """A slimmable teacher around ShuffleNetV1 (groups=3): its grouped
    1x1 convs cannot keep 72 channels per group at width 0.25, said at
    build with the module path, not at the first batch."""
    from mmpwkd.registry import MODELS
    from mmpwkd.utils import register_all_modules
    register_all_modules()
    cfg = dict(
        type='PWKDDistiller',
        student=dict(type='ImageClassifier',
                     backbone=dict(type='ResNet', depth=18),
                     neck=dict(type='GlobalAveragePooling'),
                     head=dict(type='LinearClsHead', num_classes=10,
                               in_channels=512)),
        teacher=dict(type='SlimmableClassifier', widths=(0.25, 1.0),
                     backbone=dict(type='mmpretrain.ShuffleNetV1', groups=3),
                     neck=dict(type='GlobalAveragePooling'),
                     head=dict(type='LinearClsHead', num_classes=10,
                               in_channels=960)))
    with pytest.raises(ValueError) as info:
        MODELS.build(cfg)
    message = str(info.value)
    assert message.startswith('model.teacher: ')
    assert ('"backbone.layers.0.0.g_conv_1x1_expand.conv" is a grouped '
            'convolution (3 groups of 72 output channels)') in message
    assert 'the widths [0.25] give [54]' in message


def test_grouped_conv_with_whole_groups_converts():
    net = nn.Sequential(nn.Conv2d(8, 16, 1, groups=4))
    convert_to_slimmable(net, (0.25, 0.5, 1.0))
    set_module_width(net, 0.5)
    assert net(torch.randn(1, 4, 2, 2)).shape == (1, 8, 2, 2)
