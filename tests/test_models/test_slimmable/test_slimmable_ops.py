import pytest
import torch
from torch import nn

from mmpwkd.models.slimmable import (SlimmableConv2d, SlimmableLinear,
                                     SwitchableBatchNorm1d,
                                     SwitchableBatchNorm2d)
from mmpwkd.models.slimmable.ops import check_channel_table

WIDTHS = (0.25, 0.5, 1.0)


def _copy_prefix(narrow: nn.Module, full: nn.Module) -> nn.Module:
    """Load the leading slices of ``full``'s tensors into ``narrow``."""
    state = {
        key: value[tuple(slice(0, n) for n in narrow_value.shape)]
        for (key, value), narrow_value in zip(full.state_dict().items(),
                                              narrow.state_dict().values())
    }
    narrow.load_state_dict(state)
    return narrow


def test_conv_uses_leading_channels():
    torch.manual_seed(0)
    conv = SlimmableConv2d(
        8, 16, 3, padding=1, channels_per_width={0.5: 8, 1.0: 16})
    conv.set_width(0.5)
    x = torch.randn(2, 4, 8, 8)
    plain = _copy_prefix(nn.Conv2d(4, 8, 3, padding=1), conv)
    torch.testing.assert_close(conv(x), plain(x))
    assert conv.active_channels == 8


def test_image_conv_keeps_its_input_channels():
    conv = SlimmableConv2d(3, 16, 3, channels_per_width={0.25: 4, 1.0: 16})
    conv.set_width(0.25)
    assert conv(torch.randn(1, 3, 5, 5)).shape == (1, 4, 3, 3)


def test_conv_at_full_width_is_the_original():
    torch.manual_seed(0)
    original = nn.Conv2d(4, 6, 3, stride=2, padding=1, padding_mode='reflect')
    conv = SlimmableConv2d.from_conv(original, {0.5: 3, 1.0: 6})
    x = torch.randn(2, 4, 9, 9)
    assert conv.weight is original.weight
    torch.testing.assert_close(conv(x), original(x), rtol=0, atol=0)
    conv.set_width(0.5)
    plain = _copy_prefix(
        nn.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode='reflect'),
        original)
    torch.testing.assert_close(conv(x[:, :2]), plain(x[:, :2]))


@pytest.mark.parametrize('padding, mode, kernel, dilation', [
    ((1, 2), 'reflect', (3, 5), 1),
    ('same', 'circular', (4, 3), (2, 1)),
    ('valid', 'replicate', 3, 1),
])
def test_padding_modes_match_torch(padding, mode, kernel, dilation):
    torch.manual_seed(0)
    original = nn.Conv2d(
        4, 6, kernel, padding=padding, dilation=dilation, padding_mode=mode)
    conv = SlimmableConv2d.from_conv(original, {0.5: 3, 1.0: 6})
    x = torch.randn(2, 4, 9, 9)
    torch.testing.assert_close(conv(x), original(x), rtol=0, atol=0)


def test_depthwise_conv_stays_depthwise():
    torch.manual_seed(0)
    conv = SlimmableConv2d(
        16, 16, 3, padding=1, groups=16, channels_per_width={
            0.25: 4,
            1.0: 16
        })
    conv.set_width(0.25)
    x = torch.randn(2, 4, 6, 6)
    plain = _copy_prefix(nn.Conv2d(4, 4, 3, padding=1, groups=4), conv)
    torch.testing.assert_close(conv(x), plain(x))


def test_grouped_conv_scales_its_groups():
    torch.manual_seed(0)
    # 8 groups of 4 channels at full width, 2 groups at 0.25 (ResNeXt).
    conv = SlimmableConv2d(32, 32, 3, groups=8, channels_per_width={
        0.25: 8,
        1.0: 32
    })
    conv.set_width(0.25)
    x = torch.randn(2, 8, 5, 5)
    plain = _copy_prefix(nn.Conv2d(8, 8, 3, groups=2), conv)
    torch.testing.assert_close(conv(x), plain(x))


def test_grouped_conv_rejects_split_groups():
    conv = SlimmableConv2d(32, 32, 1, groups=8, channels_per_width={
        0.25: 8,
        1.0: 32
    })
    conv.set_width(0.25)
    with pytest.raises(ValueError, match='do not split into groups of 4'):
        conv(torch.randn(1, 6, 2, 2))


def test_conv_rejects_wider_input():
    conv = SlimmableConv2d(4, 4, 1)
    with pytest.raises(ValueError, match='got 5 input channels, more than'):
        conv(torch.randn(1, 5, 2, 2))


def test_linear_after_flatten_takes_a_channel_prefix():
    """VGG: a channel prefix of a flattened conv map is a feature prefix."""
    torch.manual_seed(0)
    full = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.Flatten(), nn.Linear(8 * 16, 6))
    slim = nn.Sequential(
        SlimmableConv2d.from_conv(full[0], {0.5: 4, 1.0: 8}), nn.Flatten(),
        SlimmableLinear.from_linear(full[2], {0.5: 6, 1.0: 6}))
    narrow = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 16, 6))
    narrow[0] = _copy_prefix(narrow[0], full[0])
    narrow[2].weight.data = full[2].weight.data.view(6, 8, 16)[:, :4].reshape(
        6, 64)
    narrow[2].bias.data = full[2].bias.data
    for layer in (slim[0], slim[2]):
        layer.set_width(0.5)
    x = torch.randn(2, 3, 4, 4)
    torch.testing.assert_close(slim(x), narrow(x))


def test_linear_fixed_output_and_errors():
    linear = SlimmableLinear(8, 5, channels_per_width={0.5: 5, 1.0: 5})
    linear.set_width(0.5)
    assert linear(torch.randn(3, 4)).shape == (3, 5)
    with pytest.raises(ValueError, match='got 9 input features'):
        linear(torch.randn(3, 9))
    with pytest.raises(ValueError, match=r'width 0.75 is not one of'):
        linear.set_width(0.75)


def _random_bn(channels: int) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(channels)
    with torch.no_grad():
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-1, 1)
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.num_batches_tracked.fill_(3)
    return bn


def test_switchable_bn_keys_and_init():
    original = _random_bn(8)
    bn = SwitchableBatchNorm2d.from_bn(original, {0.25: 2, 0.5: 4, 1.0: 8})
    stock_keys = set(original.state_dict())
    narrow_keys = set(bn.state_dict()) - stock_keys
    assert stock_keys < set(bn.state_dict())
    assert narrow_keys == {
        f'narrow_bns.{key}.{name}'
        for key in ('0_25', '0_5') for name in stock_keys
    }
    assert bn.weight is original.weight
    narrow = bn.narrow_bns['0_5']
    torch.testing.assert_close(narrow.running_var, original.running_var[:4])
    torch.testing.assert_close(narrow.weight, original.weight[:4])
    assert narrow.weight.data_ptr() != original.weight.data_ptr()


@pytest.mark.parametrize('training', [True, False])
def test_switchable_bn_full_width_is_the_original(training):
    torch.manual_seed(0)
    original = _random_bn(8)
    reference = _random_bn(8)
    reference.load_state_dict(original.state_dict())
    bn = SwitchableBatchNorm2d.from_bn(original, {0.5: 4, 1.0: 8})
    bn.train(training)
    reference.train(training)
    x = torch.randn(4, 8, 3, 3)
    torch.testing.assert_close(bn(x), reference(x), rtol=0, atol=0)


def test_switchable_bn_narrow_statistics_are_private():
    bn = SwitchableBatchNorm2d(8, channels_per_width={0.5: 4, 1.0: 8})
    bn.set_width(0.5)
    bn(torch.randn(6, 4, 3, 3) + 5)
    assert bn.narrow_bns['0_5'].running_mean.min() > 0.2
    assert torch.equal(bn.running_mean, torch.zeros(8))


def test_stock_checkpoint_initialises_narrow_bns():
    original = _random_bn(8)
    bn = SwitchableBatchNorm2d(8, channels_per_width={0.25: 2, 1.0: 8})
    result = bn.load_state_dict(original.state_dict(), strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    narrow = bn.narrow_bns['0_25']
    torch.testing.assert_close(narrow.running_mean,
                               original.running_mean[:2])
    torch.testing.assert_close(narrow.bias, original.bias[:2])
    assert int(narrow.num_batches_tracked) == 3


def test_slimmable_checkpoint_keeps_its_narrow_bns():
    source = SwitchableBatchNorm2d(8, channels_per_width={0.25: 2, 1.0: 8})
    with torch.no_grad():
        source.narrow_bns['0_25'].running_var.fill_(4.0)
    bn = SwitchableBatchNorm2d(8, channels_per_width={0.25: 2, 1.0: 8})
    bn.load_state_dict(source.state_dict(), strict=True)
    assert torch.equal(bn.narrow_bns['0_25'].running_var, torch.full((2, ),
                                                                     4.0))


def test_state_at():
    original = _random_bn(8)
    bn = SwitchableBatchNorm2d.from_bn(original, {0.5: 4, 1.0: 8})
    assert set(bn.state_at(1.0)) == set(original.state_dict())
    assert bn.state_at(0.5)['running_mean'].shape == (4, )
    with pytest.raises(ValueError, match='width 0.25 is not one of'):
        bn.state_at(0.25)


def test_switchable_bn_1d():
    torch.manual_seed(0)
    original = nn.BatchNorm1d(6)
    bn = SwitchableBatchNorm1d.from_bn(original, {0.5: 3, 1.0: 6})
    bn.set_width(0.5)
    assert bn(torch.randn(4, 3)).shape == (4, 3)
    assert isinstance(bn.narrow_bns['0_5'], nn.BatchNorm1d)


@pytest.mark.parametrize('table, message', [
    ({0.5: 4}, 'must contain 1.0'),
    ({0.5: 0, 1.0: 8}, r'ints in \[1, 8\]'),
    ({0.5: 9, 1.0: 8}, r'ints in \[1, 8\]'),
    ({0.5: 4, 1.0: 7}, 'must keep all 8 channels'),
    ({0.25: 6, 0.5: 4, 1.0: 8}, 'must not decrease'),
])
def test_check_channel_table_rejects(table, message):
    with pytest.raises(ValueError, match=message):
        check_channel_table(table, 8, 'layer')
