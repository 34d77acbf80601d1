"""A resume refuses a checkpoint of another config or model."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmpwkd.safety.hooks.run_fingerprint_hook import (RunFingerprintHook,
                                                      model_fingerprint)
from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

from conftest import REPO

CONFIG = REPO / 'tests' / 'data' / 'tiny_cls.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _runner(config: Path, work_dir: Path, data_root: Path, epochs: int,
            resume: bool = False, **options) -> Runner:
    register_all_modules()
    cfg = Config.fromfile(config)
    for loader in LOADERS:
        cfg[loader].dataset.data_root = str(data_root)
    cfg.merge_from_dict(options)
    cfg.train_cfg.max_epochs = epochs
    cfg.work_dir = str(work_dir)
    cfg.resume = resume
    cfg.experiment_name = f'{work_dir.name}_{epochs}_{resume}'
    return Runner.from_cfg(cfg)


def _copy_config(tmp_path: Path, name: str) -> Path:
    """tiny_cls.py under another name."""
    path = tmp_path / name
    path.write_text(f'_base_ = [{str(CONFIG)!r}]\n')
    return path


@pytest.fixture
def trained(tmp_path, image_folder) -> Path:
    """A work dir with tiny_cls.py's checkpoint after one epoch."""
    work_dir = tmp_path / 'work'
    _runner(CONFIG, work_dir, image_folder, 1).train()
    return work_dir


def test_checkpoint_records_config_and_model(trained):
    run = torch.load(trained / 'epoch_1.pth', weights_only=True)['meta']['run']
    assert run['config'] == 'tiny_cls.py'
    assert run['model'] == ('ImageClassifier(data_preprocessor='
                            'ClsDataPreprocessor, backbone=ResNet_CIFAR, '
                            'neck=GlobalAveragePooling, head=LinearClsHead)')
    assert len(run['fingerprint']) == 16


def test_resume_of_the_same_run_continues(trained, image_folder):
    runner = _runner(CONFIG, trained, image_folder, 2, resume=True)
    runner.train()
    assert runner.epoch == 2


def test_resume_under_another_config_is_refused(tmp_path, trained,
                                                image_folder):
    other = _copy_config(tmp_path, 'other_cls.py')
    runner = _runner(other, trained, image_folder, 2, resume=True)
    with pytest.raises(ValueError) as info:
        runner.train()
    message = str(info.value)
    assert "written by config 'tiny_cls.py'" in message
    assert "this run is config 'other_cls.py'" in message
    assert 'allow_other_run=True' in message


def test_resume_of_another_model_is_refused(trained, image_folder):
    # Generalised-mean pooling: the same layers plus one parameter.
    runner = _runner(CONFIG, trained, image_folder, 2, resume=True,
                     model=dict(neck=dict(type='GeneralizedMeanPooling')))
    with pytest.raises(ValueError, match='neck=GlobalAveragePooling.*'
                       'neck=GeneralizedMeanPooling'):
        runner.train()


def test_allow_other_run_and_unrecorded_checkpoints_resume(
        tmp_path, trained, image_folder):
    other = _copy_config(tmp_path, 'other_cls.py')
    runner = _runner(
        other, trained, image_folder, 2, resume=True,
        default_hooks=dict(run_fingerprint=dict(allow_other_run=True)))
    runner.train()
    assert runner.epoch == 2

    old = torch.load(trained / 'epoch_1.pth', weights_only=True)
    del old['meta']['run']
    torch.save(old, trained / 'epoch_1.pth')
    (trained / 'last_checkpoint').write_text(str(trained / 'epoch_1.pth'))
    runner = _runner(other, trained, image_folder, 2, resume=True)
    runner.train()
    assert runner.epoch == 2


def test_fingerprint_ignores_dtype_and_sees_classes():
    net = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    same = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU())
    other = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU())
    assert model_fingerprint(net) == model_fingerprint(same.double())
    assert model_fingerprint(net) != model_fingerprint(other)


def test_bad_option_is_refused_at_build():
    with pytest.raises(ValueError, match='allow_other_run must be a bool'):
        HOOKS.build(dict(type='RunFingerprintHook', allow_other_run='yes'))
    assert isinstance(
        HOOKS.build(dict(type='RunFingerprintHook')), RunFingerprintHook)
