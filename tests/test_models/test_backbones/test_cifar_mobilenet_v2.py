import pytest
import torch
from backbone_checks import run_backbone

from mmpwkd.models.backbones import CIFARInvertedResidual, CIFARMobileNetV2


def test_shortcut_only_when_shape_is_kept():
    model = CIFARMobileNetV2()

    shortcuts = [n for n, m in model.named_modules()
                 if isinstance(m, CIFARInvertedResidual) and m.use_shortcut]

    assert shortcuts == ['layer2.1', 'layer3.1', 'layer3.2', 'layer4.1',
                         'layer4.2', 'layer4.3', 'layer5.1', 'layer5.2',
                         'layer6.1', 'layer6.2']


def test_first_stage_does_not_expand():
    model = CIFARMobileNetV2(expand_ratio=4)

    assert model.layer1[0].conv1.out_channels == 16
    assert model.layer2[0].conv1.out_channels == 8 * 4
    assert model.layer2[0].conv2.groups == 32


def test_full_width_keeps_1280_last_channels():
    cfg = dict(type='CIFARMobileNetV2', widen_factor=1.0,
               out_indices=(6, 7))

    assert run_backbone(cfg, size=16) == [(320, 1, 1), (1280, 1, 1)]
    assert CIFARMobileNetV2(widen_factor=1.5).out_channels[-1] == 1920


def test_inverted_residual_adds_input():
    block = CIFARInvertedResidual(8, 8, 1, 2)
    block.eval()
    x = torch.randn(1, 8, 4, 4)

    branch = block.bn3(block.conv3(block.relu2(block.bn2(block.conv2(
        block.relu1(block.bn1(block.conv1(x))))))))

    torch.testing.assert_close(block(x), x + branch)


@pytest.mark.parametrize('kwargs', [dict(widen_factor=0.05),
                                    dict(widen_factor=0),
                                    dict(expand_ratio=0)])
def test_bad_width_or_ratio_is_rejected(kwargs):
    with pytest.raises(ValueError, match='CIFARMobileNetV2: widen_factor'):
        CIFARMobileNetV2(**kwargs)


def test_grey_28x28_input():
    cfg = dict(type='CIFARMobileNetV2', in_channels=1)

    assert run_backbone(cfg, size=28, in_channels=1) == [(1280, 2, 2)]
