"""Model configs and batches shared by the tests."""
from typing import List, Tuple

import torch
from mmpretrain.structures import DataSample
from torch import Tensor


def resnet_classifier(depth: int = 18,
                      base: int = 8,
                      num_classes: int = 5,
                      slimmable: bool = False,
                      **extra) -> dict:
    """An mmpretrain ResNet classifier config: ``base`` stem and base
    channels, the last stage's output, GAP and a linear head.

    Args:
        depth (int): ResNet depth. Defaults to 18.
        base (int): Stem and base channels (the head gets ``base * 8``).
            Defaults to 8.
        num_classes (int): Classes of the head. Defaults to 5.
        slimmable (bool): A ``SlimmableClassifier`` (predicting at its
            active width only unless ``eval_all_widths`` is given) instead
            of an ``ImageClassifier``. Defaults to False.
        **extra: Further keys of the classifier config (``widths`` ...).

    Returns:
        dict: The config.
    """
    cfg = dict(
        type='SlimmableClassifier' if slimmable else 'ImageClassifier',
        backbone=dict(
            type='ResNet',
            depth=depth,
            stem_channels=base,
            base_channels=base,
            out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=base * 8,
            loss=dict(type='CrossEntropyLoss')))
    if slimmable:
        cfg['eval_all_widths'] = False
    cfg.update(extra)
    return cfg


def labelled_batch(n: int = 4,
                   num_classes: int = 5,
                   size: int = 32) -> Tuple[Tensor, List[DataSample]]:
    """``n`` random RGB images (seeded) with labels ``i % num_classes``."""
    torch.manual_seed(0)
    inputs = torch.randn(n, 3, size, size)
    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(n)
    ]
    return inputs, samples
