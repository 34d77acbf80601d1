"""Every tool, and mmpretrain's own train.py, on a config of each family:
ImageNet (configs/pwkd), the CIFAR-100 zoo and the Fashion-MNIST benchmark.

Each command is a subprocess that imports nothing beforehand, so a tool
that forgets the config's default scope fails here as it would for a user
(our backbones are then looked up in mmpretrain's registry). The configs
are the real ones under a small wrapper that swaps in tiny data, one epoch
per PWKD stage and no teacher checkpoint.
"""
import json
import sys
from pathlib import Path
from typing import Dict

import pytest
import torch
from mmengine.config import Config

from conftest import REPO, python_tool, run_tool

FAMILIES: Dict[str, Dict[str, str]] = dict(
    imagenet=dict(
        distill='configs/pwkd/r34_r18_in1k.py',
        slimmable='configs/slimmable_teacher/slimmable_r34_in1k.py'),
    cifar100=dict(
        distill='configs/cifar100/pwkd-kd_resnet56_resnet20_1xb64_cifar100.py',
        slimmable='configs/cifar100/slimmable_resnet56_1xb64_cifar100.py'),
    fmnist=dict(
        distill='configs/benchmark/fmnist/'
        'pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py',
        slimmable='configs/benchmark/fmnist/'
        'slimmable-resnet20_1xb128_fmnist-teacher.py'),
)
# What the image shape of each family is, for the complexity tool.
SHAPES = dict(imagenet='32', cifar100='32', fmnist='28')
EPOCHS = 4  # one per stage

TINY_RUN = f"""
model = dict(teacher_ckpt=None)
stages = [dict(width=w, epochs=1) for w in (0.25, 0.5, 0.75, 1.0)]
custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
param_scheduler = dict(stages=stages)
train_cfg = dict(max_epochs={EPOCHS}, val_interval={EPOCHS})
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval={EPOCHS}, max_keep_ckpts=1))
"""

# Our synthetic folder of 32x32 RGB images stands in for ImageNet and
# CIFAR-100. num_workers stays above 0 as in those configs (one worker, to
# be light), so the loader options the configs leave to the tools are
# exercised as they are.
IMAGE_DATA = """
_dataset = dict(
    _delete_=True, type='CustomDataset', data_root={root!r}, indices=8,
    pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')])
train_dataloader = dict(batch_size=4, num_workers=1, dataset=_dataset)
val_dataloader = dict(batch_size=8, num_workers=1, dataset=_dataset)
test_dataloader = val_dataloader
"""
FMNIST_DATA = """
train_dataloader = dict(
    batch_size=4, dataset=dict(data_root={root!r}, per_class=1))
val_dataloader = dict(dataset=dict(data_root={root!r}))
test_dataloader = dict(dataset=dict(data_root={root!r}))
"""


def tiny_config(family: str, folder: Path, image_folder: Path,
                fake_fashion_mnist: Path) -> Path:
    """A config that inherits the family's distillation config."""
    if family == 'fmnist':
        data = FMNIST_DATA.format(root=str(fake_fashion_mnist))
    else:
        data = IMAGE_DATA.format(root=str(image_folder))
    base = REPO / FAMILIES[family]['distill']
    path = folder / f'tiny_{family}.py'
    path.write_text(f'_base_ = [{str(base)!r}]\n{TINY_RUN}{data}')
    return path


@pytest.fixture(params=sorted(FAMILIES))
def family(request) -> str:
    return request.param


def test_mmpretrain_train_runs_each_family_quietly(family, tmp_path,
                                                   image_folder,
                                                   fake_fashion_mnist):
    """mmpretrain's tools/train.py (emulated: it is not in the pip package)
    with no extra flag; its log has no registry-scope warnings."""
    config = tiny_config(family, tmp_path, image_folder, fake_fashion_mnist)
    work_dir = tmp_path / 'stock'
    proc = run_tool([
        sys.executable,
        str(REPO / 'tests' / 'data' / 'mmpretrain_train.py'),
        str(config),
        str(work_dir)
    ])
    assert (work_dir / f'epoch_{EPOCHS}.pth').is_file()
    log = next(work_dir.glob('*/*.log')).read_text()
    assert 'Epoch(train) [4]' in log
    for text in (log, proc.stdout, proc.stderr):
        assert 'Failed to search registry' not in text


def test_our_tools_run_each_family(family, tmp_path, image_folder,
                                   fake_fashion_mnist):
    """tools/train.py, tools/test.py and extract_student.py in a row."""
    config = tiny_config(family, tmp_path, image_folder, fake_fashion_mnist)
    work_dir = tmp_path / 'ours'
    run_tool(python_tool('tools/train.py', str(config), '--work-dir',
                         str(work_dir)))
    checkpoint = work_dir / f'epoch_{EPOCHS}.pth'
    metrics = tmp_path / 'metrics.json'
    run_tool(python_tool('tools/test.py', str(config), str(checkpoint),
                         '--work-dir', str(work_dir), '--out', str(metrics)))
    assert 'accuracy/top1' in json.loads(metrics.read_text())

    student = tmp_path / 'student.pth'
    run_tool(python_tool('tools/model_converters/extract_student.py',
                         str(checkpoint), '--out', str(student)))
    exported = Config.fromfile(student.with_suffix('.py'))
    expected = Config.fromfile(config).model.student.type
    assert exported.model.type == expected
    assert torch.load(student, weights_only=True)['state_dict']


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
