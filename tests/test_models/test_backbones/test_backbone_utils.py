import pytest
import torch

from mmpwkd.models.backbones import ChannelShuffle
from mmpwkd.models.backbones.utils import conv_bn_relu, normalize_out_indices


def test_channel_shuffle_interleaves_groups():
    x = torch.arange(6.).view(1, 6, 1, 1)

    out = ChannelShuffle(2)(x)

    assert out.flatten().tolist() == [0., 3., 1., 4., 2., 5.]
    assert repr(ChannelShuffle(3)) == 'ChannelShuffle(groups=3)'
    assert not list(ChannelShuffle(2).parameters())


def test_conv_bn_relu_names_and_padding():
    block = conv_bn_relu(3, 8, 3, stride=2)

    assert list(dict(block.named_children())) == ['conv', 'bn', 'relu']
    assert block.conv.bias is None
    assert block(torch.randn(1, 3, 9, 9)).shape == (1, 8, 5, 5)


@pytest.mark.parametrize('given,expected', [((2, ), (2, )), (-1, (3, )),
                                            ((3, -4, 0), (0, 3)),
                                            ((1, 1), (1, ))])
def test_normalize_out_indices(given, expected):
    assert normalize_out_indices(given, 4, 'Net') == expected


@pytest.mark.parametrize('given', [(4, ), (-5, ), ()])
def test_normalize_out_indices_rejects(given):
    with pytest.raises(ValueError, match=r'Net: out_indices must be .* '
                       r'\[-4, 4\) for its 4 stages, got'):
        normalize_out_indices(given, 4, 'Net')
