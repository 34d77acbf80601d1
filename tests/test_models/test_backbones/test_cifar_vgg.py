import pytest
import torch
import torch.nn as nn
from backbone_checks import run_backbone

from mmpwkd.models.backbones import CIFARVGG


def test_pooling_before_stages_two_to_four():
    model = CIFARVGG('vgg8')

    pooled = [name for name, m in model.named_modules()
              if isinstance(m, nn.MaxPool2d)]

    assert pooled == ['layer2.pool', 'layer3.pool', 'layer4.pool']
    assert list(dict(model.layer1.named_children())) == [
        'conv1', 'bn1', 'relu1'
    ]


def test_custom_arch_of_five_stages():
    arch = [[8], [8, 16], [16], [16], [32]]
    cfg = dict(type='CIFARVGG', arch=arch, out_indices=(0, 4))

    assert run_backbone(cfg) == [(8, 32, 32), (32, 4, 4)]


@pytest.mark.parametrize('arch,match', [
    ('vgg10', "arch must be one of .*got 'vgg10'"),
    ([[8]] * 4, 'five non-empty sequences'),
    ([[8], [], [8], [8], [8]], 'five non-empty sequences'),
])
def test_bad_arch_is_rejected(arch, match):
    with pytest.raises(ValueError, match=f'CIFARVGG: .*{match}'):
        CIFARVGG(arch)


def test_init_weights_zeroes_conv_bias():
    model = CIFARVGG([[8], [8], [8], [8], [8]])
    assert model.layer1.conv1.bias.abs().sum() > 0

    model.init_weights()

    assert all(m.bias.abs().sum() == 0 for m in model.modules()
               if isinstance(m, nn.Conv2d))


def test_grey_28x28_input():
    cfg = dict(type='CIFARVGG', arch='vgg8', in_channels=1,
               out_indices=(0, 3, 4))

    assert run_backbone(cfg, size=28, in_channels=1) == [
        (64, 28, 28), (512, 3, 3), (512, 3, 3)]


def test_default_output_is_last_stage():
    assert CIFARVGG('vgg8')(torch.randn(1, 3, 32, 32))[0].shape == (1, 512,
                                                                     4, 4)
