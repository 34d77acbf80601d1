"""Config text read from a checkpoint is parsed as literals, never run."""
import glob

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmpwkd.safety.config_text import literal_config

from conftest import REPO


def _hostile(marker) -> str:
    """Config text whose first line runs a shell command when executed."""
    return (f"ran = __import__('os').system('touch {marker}')\n"
            'model = dict(a=1)\n')


def test_literals_parse_as_mmengine_reads_them():
    text = ("a = dict(x=1, y=[1, -2.5, (3, )], z={'k': None})\n"
            "b = 's'\nc = True\n")
    assert literal_config(text, 'x').to_dict() == Config.fromstring(
        text, '.py').to_dict()


@pytest.mark.parametrize('text, what', [
    ("import os\na = 1", "Import statement 'import os'"),
    ("a = __import__('os').system('true')", 'is not a literal'),
    ("a = dict(x=open('/etc/passwd').read())", 'is not a literal'),
    ("_base_ = ['other.py']", '_base_ would load other files'),
    ('a = dict(**b)', 'a \\*\\* expansion'),
    ('def f():\n    pass', 'FunctionDef statement'),
    ('filename = 1', 'filename is reserved'),
])
def test_anything_but_literals_is_refused(text, what, tmp_path):
    with pytest.raises(ValueError, match=f'ckpt:meta.cfg.*{what}'):
        literal_config(text, 'ckpt:meta.cfg')


def test_the_shipped_configs_as_the_runner_saves_them_parse():
    """The Runner saves ``pretty_text``; every shipped config's reads the
    same as mmengine's executing parser reads it."""
    configs = sorted(
        path for path in glob.glob(str(REPO / 'configs/**/*.py'),
                                   recursive=True) if '_base_' not in path)
    assert len(configs) > 40
    for path in configs[::6]:
        text = Config.fromfile(path).pretty_text
        assert literal_config(text, path).to_dict() == Config.fromstring(
            text, '.py').to_dict(), path


def test_resume_never_runs_meta_config(tmp_path, image_folder):
    """mmengine's ``Runner.resume`` executes ``meta['config']``; the
    checkpoint loaders drop it."""
    cfg = Config.fromfile(REPO / 'tests' / 'data' / 'tiny_cls.py')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(image_folder)
    cfg.merge_from_dict(
        dict(work_dir=str(tmp_path / 'work'), log_level='WARNING',
             train_cfg=dict(max_epochs=1)))
    Runner.from_cfg(cfg.copy()).train()
    checkpoint_path = tmp_path / 'work' / 'epoch_1.pth'
    checkpoint = torch.load(checkpoint_path, weights_only=True)
    marker = tmp_path / 'ran'
    checkpoint['meta']['config'] = _hostile(marker)
    torch.save(checkpoint, checkpoint_path)

    cfg.merge_from_dict(
        dict(resume=True, load_from=str(checkpoint_path),
             train_cfg=dict(max_epochs=2)))
    Runner.from_cfg(cfg).train()
    assert (tmp_path / 'work' / 'epoch_2.pth').is_file()
    assert not marker.exists()
