"""The tools take mmpretrain's flags with their meaning; mistyped paths
stop with a usage error naming the argument and the value, before anything
is built."""
import json
import os.path as osp
import re
import subprocess
import sys
from pathlib import Path

import mmengine
import mmpretrain
import pytest
import torch

from conftest import REPO, load_tool, python_tool

CONFIG = 'tests/data/tiny_cls.py'
MMPRETRAIN_TOOLS = Path(osp.dirname(mmpretrain.__file__)) / '.mim' / 'tools'


@pytest.mark.parametrize('tool, args, argument', [
    ('tools/train.py', ['missing.py'], 'config'),
    ('tools/train.py', [CONFIG, '--resume', 'missing.pth'], '--resume'),
    ('tools/test.py', ['missing.py', 'x.pth'], 'config'),
    ('tools/test.py', [CONFIG, 'missing.pth'], 'checkpoint'),
])
def test_missing_files_are_usage_errors(tool, args, argument):
    proc = subprocess.run(python_tool(tool, *args), cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    missing = next(arg for arg in args if arg.startswith('missing'))
    assert (f'error: argument {argument}: no such file: {missing!r}'
            in proc.stderr)
    assert 'Traceback' not in proc.stderr


def test_urls_and_package_paths_pass_the_check():
    from mmpwkd.utils.cli import existing_file
    for value in ('https://example.org/a.pth', 'mmpretrain::resnet/x.py',
                  str(REPO / CONFIG)):
        assert existing_file(value) == value


def _option_strings(script: str) -> set:
    """The long options a tool's --help lists."""
    proc = subprocess.run([sys.executable, script, '--help'], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return set(re.findall(r'(?<![\w-])(--[a-z][\w-]*)', proc.stdout))


@pytest.mark.parametrize('tool', ['train.py', 'test.py'])
def test_tools_take_every_flag_of_mmpretrains(tool):
    """mmpretrain's own tools ship in its wheel; ours take all their
    flags."""
    stock = _option_strings(str(MMPRETRAIN_TOOLS / tool))
    ours = _option_strings(str(REPO / 'tools' / tool))
    assert {'--work-dir', '--cfg-options'} <= stock
    assert stock - ours == set()


def _run_test_tool(monkeypatch, checkpoint, work_dir, image_folder, *flags):
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    monkeypatch.setattr(sys, 'argv', [
        'test.py', str(REPO / CONFIG), str(checkpoint), '--work-dir',
        str(work_dir), *flags, '--cfg-options', 'log_level=WARNING',
        *[f'{loader}.dataset.data_root={image_folder}' for loader in loaders]
    ])
    load_tool('tools/test.py').main()


def test_test_tool_flags_mean_what_mmpretrains_mean(tmp_path, image_folder,
                                                     monkeypatch):
    """``--out`` writes predictions unless ``--out-item metrics``;
    ``--tta`` and ``--show-dir`` run as in mmpretrain's test.py."""
    from mmengine.config import Config

    from mmpwkd.registry import MODELS
    from mmpwkd.utils import register_all_modules

    register_all_modules()
    model = MODELS.build(Config.fromfile(REPO / CONFIG).model)
    checkpoint = tmp_path / 'model.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)

    preds = tmp_path / 'preds.pkl'
    _run_test_tool(monkeypatch, checkpoint, tmp_path / 'a', image_folder,
                   '--out', str(preds))
    samples = mmengine.load(preds)
    assert len(samples) == 32 and 'pred_score' in samples[0]

    metrics = tmp_path / 'metrics.json'
    _run_test_tool(monkeypatch, checkpoint, tmp_path / 'b', image_folder,
                   '--out', str(metrics), '--out-item', 'metrics')
    assert set(json.loads(metrics.read_text())) == {'accuracy/top1'}

    tta = tmp_path / 'tta.pkl'
    _run_test_tool(monkeypatch, checkpoint, tmp_path / 'c', image_folder,
                   '--tta', '--out', str(tta))
    flipped = mmengine.load(tta)
    assert len(flipped) == 32
    # Averaged over a flipped and an unflipped view: other scores.
    assert not torch.allclose(flipped[0]['pred_score'],
                              samples[0]['pred_score'])

    shown = tmp_path / 'shown'
    _run_test_tool(monkeypatch, checkpoint, tmp_path / 'd', image_folder,
                   '--show-dir', str(shown))
    # mmpretrain's hook names a picture by its image's file name, and the
    # four class folders hold the same eight names.
    assert sorted(path.name for path in shown.glob('*.png')) == [
        f'{i}.png_0.png' for i in range(8)]


def test_out_item_needs_out():
    proc = subprocess.run(
        python_tool('tools/test.py', CONFIG, CONFIG, '--out-item', 'pred'),
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert '--out-item needs --out' in proc.stderr
