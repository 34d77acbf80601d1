"""Every CIFAR-KD architecture against its reference size and shapes.

``params`` is the exact parameter count of the classifier (backbone, global
average pooling, 100-class linear head; BN running statistics excluded)
that the reference definitions give: ``HobbitLong/RepDistiller``,
``models/*.py`` with ``num_classes=100``; our modules were checked to
reproduce those networks' logits with their weights. ``reported`` is the
rounded count (in M) of the CIFAR-100 distillation tables (CRD protocol);
it must agree within 2% (or 0.005M for the smallest networks).
"""
import pytest
import torch
import torch.nn as nn
from backbone_checks import activation_calls, run_backbone

from mmpwkd.models.backbones import (
    CIFARVGG,
    CIFARMobileNetV2,
    CIFARResNet,
    CIFARShuffleNetV1,
    CIFARShuffleNetV2,
    CIFARWideResNet,
)
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

RESNET_THIN = [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
RESNET_X4 = [(64, 32, 32), (128, 16, 16), (256, 8, 8)]
VGG = [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (512, 4, 4)]

# name: (backbone config, class, params, reported M, shapes of all stages)
ARCHS = {
    'resnet8': (dict(type='CIFARResNet', arch='resnet8'), CIFARResNet,
                83892, 0.08, RESNET_THIN),
    'resnet14': (dict(type='CIFARResNet', arch='resnet14'), CIFARResNet,
                 181108, 0.18, RESNET_THIN),
    'resnet20': (dict(type='CIFARResNet', arch='resnet20'), CIFARResNet,
                 278324, 0.28, RESNET_THIN),
    'resnet32': (dict(type='CIFARResNet', arch='resnet32'), CIFARResNet,
                 472756, 0.47, RESNET_THIN),
    'resnet44': (dict(type='CIFARResNet', arch='resnet44'), CIFARResNet,
                 667188, 0.67, RESNET_THIN),
    'resnet56': (dict(type='CIFARResNet', arch='resnet56'), CIFARResNet,
                 861620, 0.86, RESNET_THIN),
    'resnet110': (dict(type='CIFARResNet', arch='resnet110'), CIFARResNet,
                  1736564, 1.74, RESNET_THIN),
    'resnet8x4': (dict(type='CIFARResNet', arch='resnet8x4'), CIFARResNet,
                  1233540, 1.23, RESNET_X4),
    'resnet32x4': (dict(type='CIFARResNet', arch='resnet32x4'),
                   CIFARResNet, 7433860, 7.43, RESNET_X4),
    'wrn_16_1': (dict(type='CIFARWideResNet', depth=16, widen_factor=1),
                 CIFARWideResNet, 180916, 0.18, RESNET_THIN),
    'wrn_16_2': (dict(type='CIFARWideResNet', depth=16, widen_factor=2),
                 CIFARWideResNet, 703284, 0.70,
                 [(32, 32, 32), (64, 16, 16), (128, 8, 8)]),
    'wrn_40_1': (dict(type='CIFARWideResNet', depth=40, widen_factor=1),
                 CIFARWideResNet, 569780, 0.57, RESNET_THIN),
    'wrn_40_2': (dict(type='CIFARWideResNet', depth=40, widen_factor=2),
                 CIFARWideResNet, 2255156, 2.26,
                 [(32, 32, 32), (64, 16, 16), (128, 8, 8)]),
    'vgg8': (dict(type='CIFARVGG', arch='vgg8'), CIFARVGG, 3965028, 3.96,
             VGG),
    'vgg11': (dict(type='CIFARVGG', arch='vgg11'), CIFARVGG, 9277284, 9.28,
              VGG),
    'vgg13': (dict(type='CIFARVGG', arch='vgg13'), CIFARVGG, 9462180, 9.46,
              VGG),
    'vgg16': (dict(type='CIFARVGG', arch='vgg16'), CIFARVGG, 14774436,
              14.77, VGG),
    'vgg19': (dict(type='CIFARVGG', arch='vgg19'), CIFARVGG, 20086692,
              20.09, VGG),
    'MobileNetV2': (dict(type='CIFARMobileNetV2'), CIFARMobileNetV2,
                    812836, 0.81,
                    [(8, 16, 16), (12, 16, 16), (16, 8, 8), (32, 4, 4),
                     (48, 4, 4), (80, 2, 2), (160, 2, 2), (1280, 2, 2)]),
    'ShuffleV1': (dict(type='CIFARShuffleNetV1'), CIFARShuffleNetV1,
                  949258, 0.95, [(240, 16, 16), (480, 8, 8), (960, 4, 4)]),
    'ShuffleV2': (dict(type='CIFARShuffleNetV2'), CIFARShuffleNetV2,
                  1355528, 1.36,
                  [(116, 16, 16), (232, 8, 8), (464, 4, 4),
                   (1024, 4, 4)]),
}


def build_classifier(backbone: dict, in_channels: int) -> nn.Module:
    """ImageClassifier = backbone + GAP + 100-class linear head."""
    register_all_modules()
    return MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=backbone,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(
                type='LinearClsHead',
                num_classes=100,
                in_channels=in_channels)))


@pytest.mark.parametrize('name', list(ARCHS))
def test_parameter_count_matches_reference(name):
    backbone, cls, params, reported, shapes = ARCHS[name]

    model = build_classifier(backbone, in_channels=shapes[-1][0])

    assert isinstance(model.backbone, cls)
    count = sum(p.numel() for p in model.parameters())
    assert count == params
    assert count == pytest.approx(reported * 1e6, rel=0.02, abs=5000)


@pytest.mark.parametrize('name', list(ARCHS))
def test_forward_backward_stage_shapes(name):
    backbone, _, _, _, shapes = ARCHS[name]
    cfg = dict(backbone, out_indices=tuple(range(len(shapes))))

    assert run_backbone(cfg) == shapes
    # By default only the last stage is returned.
    assert MODELS.build(backbone).out_indices == (len(shapes) - 1, )


@pytest.mark.parametrize('name', ['resnet20', 'wrn_16_2', 'vgg8',
                                  'MobileNetV2', 'ShuffleV1', 'ShuffleV2'])
def test_each_activation_module_runs_once(name):
    backbone = ARCHS[name][0]
    register_all_modules()
    model = MODELS.build(backbone)

    calls = activation_calls(model, torch.randn(1, 3, 32, 32))

    assert calls and set(calls.values()) == {1}
    # No module object is registered under two names either.
    modules = [m for _, m in model.named_modules(remove_duplicate=False)]
    assert len(modules) == len({id(m) for m in modules})


def test_classifier_predicts_100_classes():
    model = build_classifier(ARCHS['resnet8'][0], in_channels=64)

    logits = model(torch.randn(2, 3, 32, 32), mode='tensor')

    assert logits.shape == (2, 100)
