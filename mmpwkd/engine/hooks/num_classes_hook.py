"""Check that the training data's classes fit every classifier head.

A data set with more classes than a head has trains until the first label
past the head's range, then stops inside the loss with ``IndexError: Target
3 is out of bounds``, naming neither the data nor the head. This hook
compares them before the first iteration. Fewer classes than a head has is
allowed (a head may be wider than the data it is tuned on).
"""
from typing import Any, Optional

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import BaseDataPreprocessor, is_model_wrapper
from mmpretrain.models.heads import ClsHead
from torch import nn

from mmpwkd.registry import HOOKS


def dataset_num_classes(dataset: Any) -> Optional[int]:
    """The number of classes of a data set: its ``metainfo['classes']``,
    else one more than its largest label; None when it tells neither."""
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    if classes:
        return len(classes)
    labels = getattr(dataset, 'get_gt_labels', None)
    if labels is None:
        return None
    labels = np.asarray(labels())
    return int(labels.max()) + 1 if labels.size else None


@HOOKS.register_module()
class NumClassesHook(Hook):
    """Stop before the first iteration when the training data has more
    classes than a classification head (or the data preprocessor's
    ``num_classes``, used for one-hot labels) of the model."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        found = dataset_num_classes(runner.train_dataloader.dataset)
        if found is None:
            return
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        narrow = [
            f'model.{path}.num_classes={takes}'
            for path, module in model.named_modules()
            for takes in [_num_classes(module)]
            if takes is not None and takes < found
        ]
        if narrow:
            fewest = min(int(item.rsplit('=', 1)[1]) for item in narrow)
            raise ValueError(
                f'{", ".join(narrow)}, but train_dataloader.dataset has '
                f'{found} classes: labels {fewest} to {found - 1} would be '
                f'out of range. Set num_classes={found} in the heads and the '
                'data_preprocessor, or use data with fewer classes.')

def _num_classes(module: nn.Module) -> Optional[int]:
    """The classes a head or a data preprocessor takes, if it is one."""
    if isinstance(module, (ClsHead, BaseDataPreprocessor)):
        value = getattr(module, 'num_classes', None)
        return value if isinstance(value, int) else None
    return None
