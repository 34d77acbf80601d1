"""A training set without samples stops the run with a message naming the
config key and the data set, whichever way it is built."""
import sys

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmpwkd.utils import register_all_modules

from conftest import REPO, load_tool

CONFIG = REPO / 'tests' / 'data' / 'tiny_cls.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _empty_training_set(tmp_path, image_folder) -> list:
    (tmp_path / 'empty.txt').write_text('')
    return [
        *[f'{loader}.dataset.data_root={image_folder}' for loader in LOADERS],
        f'train_dataloader.dataset.ann_file={tmp_path / "empty.txt"}',
        'train_dataloader.dataset.with_label=False'
    ]


def test_train_tool_names_the_empty_training_set(tmp_path, image_folder,
                                                 monkeypatch):
    options = _empty_training_set(tmp_path, image_folder)
    monkeypatch.setattr(sys, 'argv', [
        'train.py', str(CONFIG), '--work-dir', str(tmp_path / 'work'),
        '--cfg-options', 'log_level=WARNING', *options
    ])
    with pytest.raises(ValueError) as error:
        load_tool('tools/train.py').main()
    assert str(error.value) == (
        "train_dataloader.dataset (type='CustomDataset', "
        f"data_root={str(image_folder)!r}, "
        f"ann_file={str(tmp_path / 'empty.txt')!r}) holds no samples: check "
        'its data_root, ann_file, data_prefix and any subset options.')
    assert not list((tmp_path / 'work').glob('*.pth'))


def test_the_hook_names_an_empty_training_set(tmp_path, image_folder):
    """A data set that is not serialised builds without samples; the hook
    stops the run before the first iteration (it used to train nothing and
    exit 0)."""
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    for option in _empty_training_set(tmp_path, image_folder):
        key, value = option.split('=', 1)
        cfg.merge_from_dict({key: False if value == 'False' else value})
    cfg.train_dataloader.dataset.serialize_data = False
    cfg.work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'^train_dataloader.dataset '
                       r"\(CustomDataset at '.*'\) holds no samples"):
        runner.train()
    assert runner.iter == 0
