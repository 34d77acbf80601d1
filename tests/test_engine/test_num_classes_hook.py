"""Data with more classes than a head stops before the first iteration,
naming the heads and the data."""
from types import SimpleNamespace

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmpwkd.safety.hooks.num_classes_hook import dataset_num_classes
from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

from conftest import REPO

CONFIG = REPO / 'tests' / 'data' / 'tiny_cls.py'


def _runner(tmp_path, data_root, num_classes: int) -> Runner:
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(data_root)
    cfg.model.head.num_classes = num_classes
    cfg.model.data_preprocessor.num_classes = num_classes
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(tmp_path / str(num_classes))
    return Runner.from_cfg(cfg)


def test_more_classes_than_the_head_stop_the_run(tmp_path, image_folder):
    runner = _runner(tmp_path, image_folder, 2)
    with pytest.raises(ValueError) as info:
        runner.train()
    assert str(info.value) == (
        'model.data_preprocessor.num_classes=2, model.head.num_classes=2, '
        'but train_dataloader.dataset has 4 classes: labels 2 to 3 would be '
        'out of range. Set num_classes=4 in the heads and the '
        'data_preprocessor, or use data with fewer classes.')
    assert runner.iter == 0


def test_a_head_wider_than_the_data_trains(tmp_path, image_folder):
    runner = _runner(tmp_path, image_folder, 6)
    runner.train()
    assert runner.iter == 4


def test_classes_from_metainfo_else_labels():
    with_meta = SimpleNamespace(metainfo=dict(classes=('a', 'b', 'c')))
    labels_only = SimpleNamespace(metainfo={}, get_gt_labels=lambda: [0, 4])
    silent = SimpleNamespace(metainfo={})
    assert dataset_num_classes(with_meta) == 3
    assert dataset_num_classes(labels_only) == 5
    assert dataset_num_classes(silent) is None


def test_default_runtime_has_the_hook():
    cfg = Config.fromfile(REPO / 'configs' / '_base_' / 'default_runtime.py')
    assert cfg.default_hooks.num_classes == dict(type='NumClassesHook')
    assert cfg.default_hooks.run_fingerprint == dict(
        type='RunFingerprintHook')
    assert type(HOOKS.build(cfg.default_hooks.num_classes)).__name__ == (
        'NumClassesHook')
