"""Every tool, and mmpretrain's own train.py, on a config of each family:
ImageNet (configs/pwkd), the CIFAR-100 zoo and the Fashion-MNIST benchmark.

Each command is a subprocess that imports nothing beforehand, so a tool
that forgets the config's default scope fails here as it would for a user
(our backbones are then looked up in mmpretrain's registry). The configs
are the real ones under the small wrappers of ``config_families``.
"""
import json
import os.path as osp
import sys
from pathlib import Path

import mmpretrain
import pytest
import torch
from config_families import EPOCHS, FAMILIES, SHAPES, tiny_config
from mmengine.config import Config

from conftest import REPO, python_tool, run_tool

# mmpretrain's own tools/train.py and tools/test.py, which its wheel ships.
MMPRETRAIN_TOOLS = Path(osp.dirname(mmpretrain.__file__)) / '.mim' / 'tools'


@pytest.fixture(params=sorted(FAMILIES))
def family(request) -> str:
    return request.param


def test_mmpretrain_train_runs_each_family_quietly(family, tmp_path,
                                                   image_folder,
                                                   fake_fashion_mnist):
    """mmpretrain's own tools/train.py (from its wheel) with no flag but
    the work dir; its log has no warnings."""
    config = tiny_config(family, tmp_path, image_folder, fake_fashion_mnist)
    work_dir = tmp_path / 'stock'
    proc = run_tool([
        sys.executable,
        str(MMPRETRAIN_TOOLS / 'train.py'),
        str(config), '--work-dir',
        str(work_dir)
    ])
    assert (work_dir / f'epoch_{EPOCHS}.pth').is_file()
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Epoch(train) [4]' in log
    for text in (log, proc.stdout, proc.stderr):
        assert 'Failed to search registry' not in text
    # Nothing else a user cannot act on either (mmengine's FileClient notes);
    # the tiny stages (2 iterations) are rightly warned about.
    warnings = [
        line for line in log.splitlines() if ' - WARNING - ' in line
        and 'need 29 to settle' not in line
    ]
    assert not warnings, warnings


def test_our_tools_run_each_family(family, tmp_path, image_folder,
                                   fake_fashion_mnist):
    """tools/train.py, tools/test.py and extract_student.py in a row, and
    tools/test.py on the extracted student's own config."""
    config = tiny_config(family, tmp_path, image_folder, fake_fashion_mnist)
    work_dir = tmp_path / 'ours'
    proc = run_tool(python_tool('tools/train.py', str(config),
                                '--work-dir', str(work_dir)))
    assert 'Failed to search registry' not in proc.stdout + proc.stderr
    checkpoint = work_dir / f'epoch_{EPOCHS}.pth'
    metrics = tmp_path / 'metrics.json'
    run_tool(python_tool('tools/test.py', str(config), str(checkpoint),
                         '--work-dir', str(work_dir), '--out', str(metrics),
                         '--out-item', 'metrics'))
    assert 'accuracy/top1' in json.loads(metrics.read_text())

    student = tmp_path / 'student.pth'
    run_tool(python_tool('tools/model_converters/extract_student.py',
                         str(checkpoint), '--out', str(student)))
    exported = Config.fromfile(student.with_suffix('.py'))
    expected = Config.fromfile(config).model.student.type
    assert exported.model.type == expected
    assert torch.load(student, weights_only=True)['state_dict']
    # The exported config evaluates its weights like the distiller's did.
    student_metrics = tmp_path / 'student_metrics.json'
    run_tool(python_tool('tools/test.py', str(student.with_suffix('.py')),
                         str(student), '--work-dir', str(tmp_path / 'st'),
                         '--out', str(student_metrics), '--out-item',
                         'metrics'))
    scores = json.loads(student_metrics.read_text())
    assert scores['accuracy/top1'] == json.loads(
        metrics.read_text())['accuracy/top1']
    # mmpretrain's own test.py scores the export the same.
    stock_metrics = tmp_path / 'stock_metrics.json'
    run_tool([
        sys.executable,
        str(MMPRETRAIN_TOOLS / 'test.py'),
        str(student.with_suffix('.py')),
        str(student), '--work-dir',
        str(tmp_path / 'stock_test'), '--out',
        str(stock_metrics), '--out-item', 'metrics'
    ])
    assert json.loads(stock_metrics.read_text()) == scores


def test_slimmable_tools_run_each_family(family, tmp_path):
    """slimmable_complexity.py and export_width.py on the family's slimmable
    teacher config, with a randomly initialised checkpoint."""
    from mmpwkd.registry import MODELS
    from mmpwkd.utils import register_all_modules

    config = str(REPO / FAMILIES[family]['slimmable'])
    register_all_modules()
    model = MODELS.build(Config.fromfile(config).model)
    checkpoint = tmp_path / 'slimmable.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)

    run_tool(python_tool('tools/analysis_tools/slimmable_complexity.py',
                         config, '--shape', SHAPES[family], '--work-dir',
                         str(tmp_path / 'complexity')))
    report = json.loads((tmp_path / 'complexity' /
                         'complexity.json').read_text())
    assert [row['width'] for row in report['widths']] == list(model.widths)

    out = tmp_path / 'w0.5'
    run_tool(python_tool('tools/model_converters/export_width.py', config,
                         str(checkpoint), '--width', '0.5', '--out',
                         str(out)))
    assert Config.fromfile(out / 'config.py').model.type == 'ImageClassifier'
    assert (out / 'model.pth').is_file()
