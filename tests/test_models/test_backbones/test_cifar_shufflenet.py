import pytest
import torch
from backbone_checks import run_backbone

from mmpwkd.models.backbones import (
    CIFARDownUnitV2,
    CIFARShuffleNetV1,
    CIFARShuffleNetV2,
    CIFARShuffleUnitV1,
)


def test_v1_first_pointwise_conv_is_dense():
    model = CIFARShuffleNetV1()

    groups = {n: m.conv1.groups for n, m in model.named_modules()
              if isinstance(m, CIFARShuffleUnitV1)}

    assert groups.pop('layer1.0') == 1
    assert set(groups.values()) == {3}
    assert model.layer1[0].shuffle.groups == 1
    assert model.layer2[0].conv3.groups == 3


def test_v1_stride_two_unit_concatenates_pooled_input():
    unit = CIFARShuffleUnitV1(24, 216, 2, 3, 1)
    unit.eval()
    x = torch.randn(1, 24, 8, 8)

    out = unit(x)

    assert out.shape == (1, 240, 4, 4)
    pooled = torch.nn.functional.avg_pool2d(x, 3, 2, 1)
    torch.testing.assert_close(out[:, 216:], pooled.relu())


def test_v1_other_groups():
    cfg = dict(type='CIFARShuffleNetV1', stage_channels=(200, 400, 800),
               stage_blocks=(1, 2, 1), groups=2, out_indices=(0, 2))

    assert run_backbone(cfg) == [(200, 16, 16), (800, 4, 4)]


@pytest.mark.parametrize('kwargs,match', [
    (dict(stage_channels=(272, 544, 1088), groups=4),
     r'stage 0 of 272 channels after 24 .* \(248, 272\)'),
    (dict(stage_channels=(240, 480)), 'need three entries'),
    (dict(stage_blocks=(4, 0, 4)), 'need three entries'),
])
def test_v1_bad_layout_is_rejected(kwargs, match):
    with pytest.raises(ValueError, match=f'CIFARShuffleNetV1: .*{match}'):
        CIFARShuffleNetV1(**kwargs)


@pytest.mark.parametrize('widen_factor,shapes', [
    (0.5, [(48, 16, 16), (96, 8, 8), (192, 4, 4), (1024, 4, 4)]),
    (2.0, [(244, 16, 16), (488, 8, 8), (976, 4, 4), (2048, 4, 4)]),
])
def test_v2_widths(widen_factor, shapes):
    cfg = dict(type='CIFARShuffleNetV2', widen_factor=widen_factor,
               stage_blocks=(1, 1, 1), out_indices=(0, 1, 2, 3))

    assert run_backbone(cfg) == shapes


def test_v2_stage_starts_with_down_unit():
    model = CIFARShuffleNetV2()

    assert isinstance(model.layer2[0], CIFARDownUnitV2)
    assert [len(layer) for layer in
            (model.layer1, model.layer2, model.layer3)] == [4, 8, 4]


@pytest.mark.parametrize('kwargs', [dict(widen_factor=0.75),
                                    dict(stage_blocks=(3, 7))])
def test_v2_bad_arch_is_rejected(kwargs):
    with pytest.raises(ValueError, match='CIFARShuffleNetV2: widen_factor '
                       'must be one of'):
        CIFARShuffleNetV2(**kwargs)


@pytest.mark.parametrize('cfg', [dict(type='CIFARShuffleNetV1'),
                                 dict(type='CIFARShuffleNetV2')])
def test_grey_28x28_input(cfg):
    shapes = run_backbone(dict(cfg, in_channels=1), size=28, in_channels=1)

    assert shapes[0][1:] == (4, 4)
