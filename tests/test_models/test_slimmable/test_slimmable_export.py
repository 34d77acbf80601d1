import pytest
import torch
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from slimmable_testing import (assert_exports_match, build, classifier_cfg,
                               fake_batch, randomize, tiny_resnet_cfg)

from mmpwkd.models.slimmable import export_width

SMALL = dict(stem_channels=8, base_channels=8)
BACKBONES = {
    'resnet18': (dict(type='ResNet', depth=18, **SMALL), 64),
    'resnet_v1d': (dict(type='ResNetV1d', depth=50, **SMALL), 256),
    'resnet_cifar': (dict(type='ResNet_CIFAR', depth=18, **SMALL), 64),
    'resnext': (dict(
        type='ResNeXt', depth=50, groups=8, width_per_group=2, **SMALL), 256),
    'seresnet': (dict(type='SEResNet', depth=50, **SMALL), 256),
    'mobilenet_v2': (dict(type='MobileNetV2', widen_factor=0.5), 1280),
}


def _trained_slimmable(cfg: dict):
    """A slimmable model whose narrow BNs differ from the full one."""
    model = build(cfg)
    randomize(model, seed=1)
    return model


@pytest.mark.parametrize('name', list(BACKBONES))
def test_export_round_trip(name):
    backbone, in_channels = BACKBONES[name]
    cfg = classifier_cfg(backbone, in_channels, widths=(0.25, 0.5, 1.0))
    assert_exports_match(_trained_slimmable(cfg), cfg, (0.25, 0.5, 1.0))

def test_export_narrows_the_config():
    cfg = tiny_resnet_cfg(
        pretrained='full.pth', inplace_distill=True, sandwich=1)
    model = build(cfg)
    plain_cfg, state = export_width(model, cfg, 0.5)
    assert plain_cfg['backbone']['stem_channels'] == 4
    assert plain_cfg['backbone']['base_channels'] == 4
    assert plain_cfg['head']['in_channels'] == 8
    assert not {'pretrained', 'sandwich', 'inplace_distill'} & set(plain_cfg)
    assert cfg['backbone']['base_channels'] == 8
    # Copies, so that saving one width does not save the full tensors.
    weight = state['backbone.conv1.weight']
    assert weight.shape == (4, 3, 7, 7) and weight.is_contiguous()
    assert weight.untyped_storage().nbytes() == weight.numel() * 4


def test_export_uses_the_width_own_bn():
    cfg = tiny_resnet_cfg()
    model = _trained_slimmable(cfg)
    _, state = export_width(model, cfg, 0.25)
    narrow = model.backbone.bn1.narrow_bns['0_25']
    torch.testing.assert_close(state['backbone.bn1.running_var'],
                               narrow.running_var)
    assert not any('narrow_bns' in key for key in state)


def test_export_rejects_what_a_plain_config_cannot_express():
    cfg = tiny_resnet_cfg()
    model = build(cfg)
    with pytest.raises(ValueError, match=r'width must be one of .* got 0.3'):
        export_width(model, cfg, 0.3)

    vgg = classifier_cfg(dict(type='VGG', depth=11), 512)
    with pytest.raises(ValueError, match='VGG has no plain config'):
        export_width(build(vgg), vgg, 0.5)

    hidden = dict(
        tiny_resnet_cfg(),
        head=dict(
            type='StackedLinearClsHead',
            num_classes=5,
            in_channels=16,
            mid_channels=[12]))
    with pytest.raises(ValueError, match='"head.layers.0.fc" has 3 output'):
        export_width(build(hidden), hidden, 0.25)


def test_resnext_groups_must_stay_grouped():
    cfg = classifier_cfg(
        dict(type='ResNeXt', depth=50, groups=2, width_per_group=4, **SMALL),
        256)
    with pytest.raises(ValueError, match='groups \\* width = 0.5 must be'):
        build(cfg)


def test_export_reads_the_stage_the_head_uses():
    backbone = dict(type='ResNet', depth=18, out_indices=(2, ), **SMALL)
    cfg = classifier_cfg(backbone, 32, widths=(0.5, 1.0))
    model = _trained_slimmable(cfg)
    model.eval()
    plain_cfg, state = export_width(model, cfg, 0.5)
    assert plain_cfg['head']['in_channels'] == 16
    plain = MMPRETRAIN_MODELS.build(plain_cfg)
    plain.load_state_dict(state, strict=True)
    plain.eval()
    inputs, _ = fake_batch(batch_size=2, size=32)
    with torch.no_grad(), model.width(0.5):
        torch.testing.assert_close(plain(inputs), model(inputs))
