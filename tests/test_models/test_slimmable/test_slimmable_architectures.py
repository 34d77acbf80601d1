"""Every supported mmpretrain backbone: a stock checkpoint loads without key
renaming, width 1.0 reproduces the stock logits, every width trains."""
import pytest
import torch
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from slimmable_testing import (build, classifier_cfg, fake_batch, randomize,
                               stock_cfg)
from torch import nn

from mmpwkd.models.slimmable import SlimmableConv2d, slimmable_layers

WIDTHS = (0.25, 0.5, 0.75, 1.0)
SMALL = dict(stem_channels=8, base_channels=8)


def _feats(channels: int) -> dict:
    return {width: int(channels * width) for width in WIDTHS}


ARCHS = {
    'resnet18': (dict(type='ResNet', depth=18, **SMALL), 64, _feats(64)),
    'resnet50': (dict(type='ResNet', depth=50, **SMALL), 256, _feats(256)),
    'resnet_v1c': (dict(type='ResNetV1c', depth=18, **SMALL), 64,
                   _feats(64)),
    'resnet_v1d': (dict(type='ResNetV1d', depth=50, **SMALL), 256,
                   _feats(256)),
    'resnet_cifar': (dict(type='ResNet_CIFAR', depth=18, **SMALL), 64,
                     _feats(64)),
    'resnext': (dict(
        type='ResNeXt', depth=50, groups=8, width_per_group=2, **SMALL), 256,
                _feats(256)),
    'seresnet': (dict(type='SEResNet', depth=50, **SMALL), 256, _feats(256)),
    # MobileNetV2 keeps its 1280 final channels at every width.
    'mobilenet_v2': (dict(type='MobileNetV2', widen_factor=0.5), 1280,
                     dict.fromkeys(WIDTHS, 1280)),
    'vgg_bn': (dict(type='VGG', depth=11, norm_cfg=dict(type='BN')), 512,
               _feats(512)),
    'vgg': (dict(type='VGG', depth=11, norm_cfg=None), 512, _feats(512)),
}


@pytest.fixture(params=list(ARCHS), scope='module')
def arch(request):
    backbone, in_channels, feats = ARCHS[request.param]
    cfg = classifier_cfg(backbone, in_channels)
    stock = MMPRETRAIN_MODELS.build(stock_cfg(cfg))
    state = randomize(stock)
    return request.param, cfg, stock, state, feats


def test_stock_checkpoint_gives_stock_logits(arch):
    _, cfg, stock, state, _ = arch
    model = build(cfg)
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    inputs, _ = fake_batch(batch_size=2, size=32)
    model.eval()
    stock.eval()
    with torch.no_grad():
        torch.testing.assert_close(
            model(inputs), stock(inputs), rtol=0, atol=1e-5)


def test_every_width_trains_with_its_channels(arch):
    name, cfg, _, state, feats = arch
    model = build(cfg)
    model.load_state_dict(state)
    inputs, samples = fake_batch(batch_size=2, size=32)
    first_conv = next(layer for layer in slimmable_layers(model).values()
                      if isinstance(layer, SlimmableConv2d))
    for width in WIDTHS:
        model.zero_grad()
        with model.width(width):
            features = model.extract_feat(inputs, stage='backbone')
            assert features[-1].shape[1] == feats[width], (name, width)
            model.head.loss(model.neck(features), samples)['loss'].backward()
        grad = first_conv.weight.grad
        kept = first_conv.channels_per_width[width]
        assert grad[:kept].abs().sum() > 0
        assert torch.equal(grad[kept:], torch.zeros_like(grad[kept:]))


@pytest.mark.parametrize(
    'name', ['resnet18', 'resnet50', 'resnet_v1d', 'resnext', 'vgg'])
def test_channels_follow_truncation(name):
    """ResNets (from their plain narrow configs) and VGG (from the rule)
    have int(C * w) channels in every layer at the standard widths."""
    backbone, in_channels, _ = ARCHS[name]
    model = build(classifier_cfg(backbone, in_channels))
    for path, layer in slimmable_layers(model).items():
        if path == 'head.fc':
            continue
        full = layer.channels_per_width[1.0]
        assert layer.channels_per_width == _feats(full), path


def test_mobilenet_v2_widths_are_those_of_plain_configs():
    backbone, in_channels, _ = ARCHS['mobilenet_v2']
    model = build(classifier_cfg(backbone, in_channels))
    plain = MMPRETRAIN_MODELS.build(
        dict(type='MobileNetV2', widen_factor=0.5 * 0.25))
    narrow = dict(plain.named_modules())
    for path, layer in slimmable_layers(model.backbone).items():
        reference = narrow[path]
        channels = reference.out_channels if isinstance(
            reference, nn.Conv2d) else reference.num_features
        assert layer.channels_per_width[0.25] == channels, path
    # Hidden layers expand their narrowed input (8 * 6), not int(96 * w).
    assert model.backbone.layer2[0].conv[0].conv.channels_per_width[
        0.25] == 48
