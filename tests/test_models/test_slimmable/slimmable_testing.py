"""Helpers shared by the slimmable tests: tiny configs and fake batches."""
import copy
from typing import Dict, List, Tuple

import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.structures import DataSample
from torch import Tensor, nn

import mmpwkd.models.slimmable  # noqa: F401  (registers the classifier)
from mmpwkd.models.slimmable import export_width
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

NUM_CLASSES = 5


def classifier_cfg(backbone: dict, in_channels: int, **kwargs) -> dict:
    """A SlimmableClassifier config: backbone, GAP, linear head."""
    return dict(
        type='SlimmableClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=NUM_CLASSES,
            in_channels=in_channels),
        **kwargs)


def tiny_resnet_cfg(**kwargs) -> dict:
    """ResNet-18 with 8 base channels and two stages (16 features)."""
    backbone = dict(
        type='ResNet',
        depth=18,
        stem_channels=8,
        base_channels=8,
        num_stages=2,
        strides=(1, 2),
        dilations=(1, 1),
        out_indices=(1, ))
    return classifier_cfg(backbone, 16, **kwargs)


def build(cfg: dict) -> nn.Module:
    """Build a model from a copy of ``cfg`` through mmpwkd's registry."""
    return MODELS.build(copy.deepcopy(cfg))


def stock_cfg(cfg: dict) -> dict:
    """The ordinary ImageClassifier config of a slimmable config."""
    return dict(copy.deepcopy(cfg), type='ImageClassifier')


@torch.no_grad()
def randomize(model: nn.Module, seed: int = 0) -> Dict[str, Tensor]:
    """Give every BN non-trivial affine parameters and statistics."""
    generator = torch.Generator().manual_seed(seed)
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            for tensor, low, high in ((module.running_var, 0.5, 2.0),
                                      (module.running_mean, -0.3, 0.3),
                                      (module.weight, 0.5, 1.5),
                                      (module.bias, -0.3, 0.3)):
                if tensor is not None:
                    tensor.copy_(low + (high - low) * torch.rand(
                        tensor.shape, generator=generator))
            module.num_batches_tracked.fill_(7)
    return model.state_dict()


def fake_batch(batch_size: int = 4,
               size: int = 16,
               seed: int = 0) -> Tuple[Tensor, List[DataSample]]:
    """Random images and labels."""
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(batch_size, 3, size, size, generator=generator)
    labels = torch.randint(0, NUM_CLASSES, (batch_size, ),
                           generator=generator)
    samples = [DataSample().set_gt_label(int(label)) for label in labels]
    return inputs, samples


def assert_exports_match(model: nn.Module, cfg: dict,
                         widths: Tuple[float, ...]) -> None:
    """Each width exported by ``export_width`` builds as a stock
    ``ImageClassifier``, loads strictly and gives the slimmable logits."""
    model.eval()
    inputs, _ = fake_batch(batch_size=2, size=32)
    for width in widths:
        plain_cfg, state = export_width(model, cfg, width)
        assert plain_cfg['type'] == 'ImageClassifier'
        assert 'widths' not in plain_cfg
        plain = MMPRETRAIN_MODELS.build(plain_cfg)
        assert type(plain) is ImageClassifier
        plain.load_state_dict(state, strict=True)
        plain.eval()
        with torch.no_grad(), model.width(width):
            torch.testing.assert_close(
                plain(inputs), model(inputs), rtol=0, atol=1e-5)
