import pytest
import torch
from backbone_checks import run_backbone

from mmpwkd.models.backbones import CIFARBasicBlock, CIFARResNet
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules


@pytest.mark.parametrize('arch', ['resnet8', 'resnet20'])
def test_grey_28x28_input(arch):
    cfg = dict(type='CIFARResNet', arch=arch, in_channels=1,
               out_indices=(0, 1, 2))

    shapes = run_backbone(cfg, size=28, in_channels=1)

    assert shapes == [(16, 28, 28), (32, 14, 14), (64, 7, 7)]


def test_arch_dict_equals_named_arch():
    register_all_modules()
    named = MODELS.build(dict(type='CIFARResNet', arch='resnet32x4'))
    custom = MODELS.build(
        dict(
            type='CIFARResNet',
            arch=dict(
                depth=32, stem_channels=32, stage_channels=(64, 128, 256))))

    assert str(named) == str(custom)
    assert len(named.layer1) == 5
    assert named.stem.conv.out_channels == 32
    assert named.out_channels == (64, 128, 256)


def test_projection_only_where_shape_changes():
    thin = CIFARResNet('resnet20')
    wide = CIFARResNet('resnet8x4')

    projected = [n for n, m in thin.named_modules()
                 if isinstance(m, CIFARBasicBlock) and m.downsample]
    assert projected == ['layer2.0', 'layer3.0']
    # The x4 stem (32) is narrower than layer1 (64): layer1 projects too.
    assert wide.layer1[0].downsample[0].stride == (1, 1)


def test_out_indices_negative_and_ordered():
    model = CIFARResNet('resnet8', out_indices=(-1, 0))

    outs = model(torch.randn(1, 3, 32, 32))

    assert model.out_indices == (0, 2)
    assert [o.shape[1] for o in outs] == [16, 64]


@pytest.mark.parametrize('arch,match', [
    ('resnet18', "arch must be one of .*'resnet8'.*got 'resnet18'"),
    (dict(depth=20, stem_channels=16), 'exactly the keys'),
    (dict(depth=21, stem_channels=16, stage_channels=(16, 32, 64)),
     'depth = 6n \\+ 2 >= 8 .*depth=21'),
    (dict(depth=20, stem_channels=16, stage_channels=(16, 32)),
     'three stage_channels'),
])
def test_bad_arch_is_rejected(arch, match):
    with pytest.raises(ValueError, match=f'CIFARResNet: .*{match}'):
        CIFARResNet(arch)


@pytest.mark.parametrize('out_indices', [(3, ), (-4, ), ()])
def test_bad_out_indices_are_rejected(out_indices):
    with pytest.raises(ValueError, match=r'CIFARResNet: out_indices .* '
                       r'\[-3, 3\)'):
        CIFARResNet('resnet8', out_indices=out_indices)


def test_init_weights_kaiming_and_unit_bn():
    model = CIFARResNet('resnet20')
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.weight.data.fill_(3.0)
            module.bias.data.fill_(2.0)

    model.init_weights()

    conv = model.layer3[1].conv1
    fan_out = conv.out_channels * 9
    assert conv.weight.std().item() == pytest.approx(
        (2 / fan_out)**0.5, rel=0.1)
    bn = model.layer3[1].bn2
    assert torch.all(bn.weight == 1) and torch.all(bn.bias == 0)
