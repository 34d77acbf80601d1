"""mmpwkd's CIFAR backbones with width knobs (CIFARResNet's arch dict,
CIFARMobileNetV2's widen_factor): every width is a plain narrow backbone,
and exports with the slimmable logits."""
import pytest
from slimmable_testing import (assert_exports_match, build, classifier_cfg,
                               randomize)

from mmpwkd.models.slimmable import (export_width, has_narrow_config,
                                     slimmable_layers)
from mmpwkd.models.slimmable.narrow_config import output_stage

WIDTHS = (0.25, 0.5, 1.0)
RESNET8 = dict(
    type='CIFARResNet',
    arch=dict(depth=8, stem_channels=8, stage_channels=(16, 32, 64)))
BACKBONES = {
    'cifar_resnet': (RESNET8, 64),
    'cifar_mobilenet_v2': (dict(type='CIFARMobileNetV2'), 1280),
}


@pytest.mark.parametrize('name', list(BACKBONES))
def test_export_round_trip(name):
    backbone, in_channels = BACKBONES[name]
    cfg = classifier_cfg(backbone, in_channels, widths=WIDTHS)
    model = build(cfg)
    assert has_narrow_config(model.backbone)
    randomize(model, seed=1)
    assert_exports_match(model, cfg, WIDTHS)

def test_cifar_resnet_narrows_its_arch_by_truncation():
    cfg = classifier_cfg(RESNET8, 64, widths=WIDTHS)
    model = build(cfg)
    plain_cfg, _ = export_width(model, cfg, 0.25)
    assert plain_cfg['backbone']['arch'] == dict(
        depth=8, stem_channels=2, stage_channels=[4, 8, 16])
    assert plain_cfg['head']['in_channels'] == 16
    # The same channels as the per-layer rule int(C * w).
    for path, layer in slimmable_layers(model.backbone).items():
        full = layer.channels_per_width[1.0]
        assert layer.channels_per_width == {
            width: int(full * width)
            for width in WIDTHS
        }, path


def test_cifar_resnet_narrows_a_named_arch():
    backbone = dict(type='CIFARResNet', arch='resnet8x4', in_channels=1)
    cfg = classifier_cfg(backbone, 256, widths=WIDTHS)
    plain_cfg, _ = export_width(build(cfg), cfg, 0.5)
    assert plain_cfg['backbone'] == dict(
        type='CIFARResNet',
        arch=dict(depth=8, stem_channels=16, stage_channels=[32, 64, 128]),
        in_channels=1)


def test_cifar_resnet_exports_the_stage_the_head_reads():
    backbone = dict(RESNET8, out_indices=(1, ))
    cfg = classifier_cfg(backbone, 32, widths=WIDTHS)
    model = build(cfg)
    assert output_stage(model.backbone) == 'layer2'
    plain_cfg, _ = export_width(model, cfg, 0.5)
    assert plain_cfg['head']['in_channels'] == 16


@pytest.mark.parametrize('widen_factor, narrowed', [(None, 0.125),
                                                    (1.0, 0.25)])
def test_cifar_mobilenet_v2_scales_its_widen_factor(widen_factor, narrowed):
    backbone = dict(type='CIFARMobileNetV2')
    if widen_factor is not None:
        backbone['widen_factor'] = widen_factor
    cfg = classifier_cfg(backbone, 1280, widths=WIDTHS)
    model = build(cfg)
    plain_cfg, _ = export_width(model, cfg, 0.25)
    assert plain_cfg['backbone']['widen_factor'] == narrowed
    # Like S-MobileNetV2, the final conv keeps its 1280 channels.
    final = model.backbone.final_conv.conv
    assert final.channels_per_width == dict.fromkeys(WIDTHS, 1280)
    assert model.backbone.stem.conv.channels_per_width[0.25] == int(
        32 * narrowed)


def test_cifar_wide_resnet_has_no_narrow_config():
    backbone = dict(type='CIFARWideResNet', depth=10, widen_factor=1)
    cfg = classifier_cfg(backbone, 64, widths=WIDTHS)
    model = build(cfg)
    assert not has_narrow_config(model.backbone)
    with pytest.raises(ValueError, match='CIFARWideResNet has no plain'):
        export_width(model, cfg, 0.5)
