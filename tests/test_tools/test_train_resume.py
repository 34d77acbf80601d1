"""Train through the tools, resume, and land exactly where an uninterrupted
run lands: single process, 2-process gloo DDP, and mmpretrain's own entry."""
import json
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import mmpretrain
import pytest
import torch

import mmpwkd  # noqa: F401  (checkpoint allowlist)

from conftest import REPO, python_tool, run_tool

CONFIG = 'tests/data/tiny_cls.py'


LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _data_options(root: Path, loaders=LOADERS) -> List[str]:
    return [f'{loader}.dataset.data_root={root}' for loader in loaders]


def _scalars(work_dir: Path) -> List[Dict]:
    files = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    return [json.loads(line) for line in files[-1].read_text().splitlines()]


def _train_records(records: List[Dict], from_epoch: int) -> List[tuple]:
    return [(r['epoch'], r['iter'], r['lr'], r['loss']) for r in records
            if 'loss' in r and r['epoch'] >= from_epoch]


def _val_records(records: List[Dict], from_step: int) -> List[tuple]:
    return [(r['step'], r['accuracy/top1']) for r in records
            if 'accuracy/top1' in r and r['step'] >= from_step]


def _weights(path: Path) -> Dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)['state_dict']


def _assert_resume_matches(full: Path, resumed: Path) -> None:
    full_log, resumed_log = _scalars(full), _scalars(resumed)
    assert _train_records(resumed_log, 3)
    assert _train_records(resumed_log, 3) == _train_records(full_log, 3)
    assert _val_records(resumed_log, 3) == _val_records(full_log, 3)
    final_full, final_resumed = (_weights(full / 'epoch_4.pth'),
                                 _weights(resumed / 'epoch_4.pth'))
    assert final_full.keys() == final_resumed.keys()
    for key, value in final_full.items():
        assert torch.equal(value, final_resumed[key]), key


@pytest.mark.parametrize('workers', [0, 2])
def test_resume_continues_like_uninterrupted_run(tmp_path, image_folder,
                                                 workers):
    """With 2 dataloader workers too: tools/train.py's training workers
    start afresh each epoch, seeded from the run's seed, so the resumed
    run's flips are the uninterrupted run's (persistent workers carried
    their random states across epochs: 47 of 247 tensors differed)."""
    options = ['--cfg-options', *_data_options(image_folder),
               f'train_dataloader.num_workers={workers}']
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    run_tool(python_tool('tools/train.py', CONFIG, '--work-dir', str(full),
                         *options))
    proc = run_tool(
        python_tool('tools/train.py', CONFIG, '--work-dir', str(resumed),
                    '--resume', str(full / 'epoch_2.pth'), *options))
    assert 'Restored the random states' in proc.stdout + proc.stderr
    _assert_resume_matches(full, resumed)


# tiny_cls.py in an iteration-based loop: 10 iterations of batch 8 over 32
# images (4 an epoch of the sampler), a checkpoint every 3.
ITER_CONFIG = """
_base_ = [{base!r}]
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=10,
                 val_interval=5)
param_scheduler = dict(by_epoch=False, milestones=[8])
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=3))
log_processor = dict(by_epoch=False)
"""


def test_iteration_loop_resume_continues_like_uninterrupted_run(
        tmp_path, image_folder):
    """An iteration-based loop with a random flip: the resumed run skips the
    six consumed batches (across an epoch of the sampler) and must still
    draw the flips that the uninterrupted run drew."""
    config = tmp_path / 'tiny_cls_iters.py'
    config.write_text(ITER_CONFIG.format(base=str(REPO / CONFIG)))
    options = ['--cfg-options', *_data_options(image_folder)]
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    run_tool(python_tool('tools/train.py', str(config), '--work-dir',
                         str(full), *options))
    run_tool(python_tool('tools/train.py', str(config), '--work-dir',
                         str(resumed), '--resume', str(full / 'iter_6.pth'),
                         *options))
    resumed_losses = [(r['iter'], r['loss']) for r in _scalars(resumed)
                      if 'loss' in r]
    assert [it for it, _ in resumed_losses] == [7, 8, 9, 10]
    assert resumed_losses == [(r['iter'], r['loss']) for r in _scalars(full)
                              if 'loss' in r and r['iter'] > 6]
    final_full = _weights(full / 'iter_10.pth')
    final_resumed = _weights(resumed / 'iter_10.pth')
    for key, value in final_full.items():
        assert torch.equal(value, final_resumed[key]), key


def _dist_train(work_dir: Path, port: int, *args: str) -> None:
    env_cmd = ['env', f'PORT={port}', 'bash', 'tools/dist_train.sh', CONFIG,
               '2', '--work-dir', str(work_dir), *args]
    run_tool(env_cmd, timeout=400)


def test_gloo_ddp_train_and_resume_on_cpu(tmp_path, image_folder):
    options = ['--cfg-options', *_data_options(image_folder)]
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    _dist_train(full, 29731, *options)
    _dist_train(resumed, 29732, '--resume', str(full / 'epoch_2.pth'),
                *options)
    _assert_resume_matches(full, resumed)
    # Two ranks over 32 images with batch 8: 2 iterations per epoch.
    assert max(r['iter'] for r in _scalars(full) if 'loss' in r) == 8


MMPRETRAIN_TRAIN = Path(mmpretrain.__file__).parent / '.mim' / 'tools' / (
    'train.py')


@pytest.mark.parametrize('script', [REPO / 'tools' / 'train.py',
                                    MMPRETRAIN_TRAIN])
def test_config_runs_under_both_train_scripts(tmp_path, fake_fashion_mnist,
                                              script):
    """A config of configs/ trains through our tools/train.py and through
    mmpretrain's own, for which ``custom_imports`` is all it needs."""
    config = (REPO / 'configs' / 'benchmark' / 'fmnist' /
              'resnet8_1xb128_fmnist-student.py')
    run_tool([sys.executable, str(script), str(config), '--work-dir',
              str(tmp_path), '--no-persistent-workers', '--cfg-options',
              'train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
              'train_dataloader.dataset.per_class=1',
              *_data_options(fake_fashion_mnist)])
    assert (tmp_path / 'epoch_1.pth').exists()
    assert _val_records(_scalars(tmp_path), 1)


def test_no_validate_and_auto_scale_lr(tmp_path, image_folder):
    run_tool(python_tool('tools/train.py', CONFIG, '--work-dir',
                         str(tmp_path), '--no-validate', '--auto-scale-lr',
                         '--cfg-options', 'train_cfg.max_epochs=1',
                         'auto_scale_lr.base_batch_size=4',
                         *_data_options(image_folder, LOADERS[:1])))
    records = _scalars(tmp_path)
    assert not _val_records(records, 0)
    # Batch 8 against a base of 4 doubles the configured LR of 0.05.
    lrs = [r['lr'] for r in records if 'lr' in r]
    assert lrs and lrs == pytest.approx([0.1] * len(lrs))


def test_amp_without_gpu_says_why(tmp_path, image_folder):
    args = python_tool('tools/train.py', CONFIG, '--work-dir', str(tmp_path),
                       '--amp', '--cfg-options', 'train_cfg.max_epochs=1',
                       *_data_options(image_folder))
    if torch.cuda.is_available():
        run_tool(args)
        assert (tmp_path / 'epoch_1.pth').exists()
        return
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
    assert "needs loss scaling" in proc.stderr
    assert "set optim_wrapper.dtype='bfloat16'" in proc.stderr


def test_amp_bf16_trains_on_the_cpu_without_loss_scale(tmp_path,
                                                       image_folder):
    run_tool(
        python_tool('tools/train.py', CONFIG, '--work-dir', str(tmp_path),
                    '--amp', '--no-validate', '--cfg-options',
                    'train_cfg.max_epochs=1', 'optim_wrapper.dtype=bfloat16',
                    *_data_options(image_folder, LOADERS[:1])))
    checkpoint = torch.load(
        tmp_path / 'epoch_1.pth', map_location='cpu', weights_only=False)
    assert 'MixedPrecisionOptimWrapper' in checkpoint['meta']['cfg']
    assert checkpoint['optimizer']['state'], 'SGD momentum expected'
    assert 'loss_scaler' not in checkpoint['optimizer']
