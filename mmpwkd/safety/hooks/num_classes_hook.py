"""Check that the training data's classes fit every classifier head.

A data set with more classes than a head has trains until the first label
past the head's range, then stops inside the loss with ``IndexError: Target
3 is out of bounds``, naming neither the data nor the head. This hook
compares them before the first iteration, as mmpretrain's
``ClassNumCheckHook`` does, which it extends. Fewer classes than a head has is
allowed (a head may be wider than the data it is tuned on).
"""
from typing import Any, Optional

import numpy as np
from mmengine.model import BaseDataPreprocessor, is_model_wrapper
from mmpretrain.engine.hooks import ClassNumCheckHook
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
class NumClassesHook(ClassNumCheckHook):
    """mmpretrain's ``ClassNumCheckHook``, which stops before the first
    iteration when the training data has more classes than a classification
    head (or the data preprocessor's ``num_classes``, used for one-hot
    labels), with a message naming both, and lets a head wider than the data
    train (theirs asserts equality). An empty training set stops here too,
    naming the data set, rather than deep in the first data-loading step.
    Validation and test data go through the same check.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        self._check(runner.model, runner.train_dataloader.dataset,
                    'train_dataloader.dataset')

    def before_val(self, runner) -> None:
        self._check(runner.model, runner.val_dataloader.dataset,
                    'val_dataloader.dataset')

    def before_test(self, runner) -> None:
        self._check(runner.model, runner.test_dataloader.dataset,
                    'test_dataloader.dataset')

    @staticmethod
    def _check(model: nn.Module, dataset: Any, key: str) -> None:
        if len(dataset) == 0:
            raise ValueError(
                f'{key} ({type(dataset).__name__}'
                f'{_data_source(dataset)}) holds no samples: check its '
                'data_root, ann_file, data_prefix and any subset options.')
        found = dataset_num_classes(dataset)
        if found is None:
            return
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
                f'{", ".join(narrow)}, but {key} has {found} classes: labels '
                f'{fewest} to {found - 1} would be out of range. Set '
                f'num_classes={found} in the heads and the data_preprocessor, '
                'or use data with fewer classes.')


def _data_source(dataset: Any) -> str:
    """`` at <data_root>`` where the data set names one."""
    root = getattr(dataset, 'data_root', None)
    return f' at {root!r}' if root else ''


def _num_classes(module: nn.Module) -> Optional[int]:
    """The classes a head or a data preprocessor takes, if it is one."""
    if isinstance(module, (ClsHead, BaseDataPreprocessor)):
        value = getattr(module, 'num_classes', None)
        return value if isinstance(value, int) else None
    return None
