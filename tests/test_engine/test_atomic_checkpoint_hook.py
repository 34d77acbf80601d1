"""AtomicCheckpointHook: a kill while a checkpoint is written never leaves
the work dir unresumable, and ``last_checkpoint`` never names a partial or
deleted file."""
import logging
import os
import signal
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace
from typing import List

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MessageHub

from mmpwkd.safety import AtomicLocalBackend
from mmpwkd.safety.hooks import AtomicCheckpointHook
from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

from conftest import REPO, python_tool, run_tool

register_all_modules()

CONFIG = REPO / 'tests' / 'data' / 'tiny_cls.py'

# tiny_cls.py whose checkpoint save of epoch 2 stalls half-way through the
# write of ``target`` (tests/data/fault_hooks.py) until the test kills it.
STALLED = """
_base_ = [{base!r}]

custom_imports = dict(imports=['mmpwkd', 'fault_hooks'])
default_hooks = dict(
    stall=dict(
        type='StallWriteHook', epoch=2, target={target!r},
        marker={marker!r}))
"""


def _fake_runner(work_dir: Path, epoch: int) -> SimpleNamespace:
    return SimpleNamespace(
        work_dir=str(work_dir),
        epoch=epoch,
        iter=epoch,
        max_epochs=3,
        cfg=Config(dict(resume=False)),
        logger=logging.getLogger('test_atomic_checkpoint_hook'),
        message_hub=MessageHub.get_instance('test_atomic_checkpoint_hook'),
        events=[])


def _call_hook(runner: SimpleNamespace):
    def call_hook(name: str, **kwargs) -> None:
        runner.events.append(name)
    return call_hook


def test_default_runtime_uses_the_atomic_hook_and_backend():
    checkpoint = Config.fromfile(str(CONFIG)).default_hooks.checkpoint
    hook = HOOKS.build(checkpoint)
    assert isinstance(hook, AtomicCheckpointHook)
    assert hook.backend_args == dict(backend='atomic_local')
    assert hook.max_keep_ckpts == -1


def _visible(folder) -> List[str]:
    """The files of ``folder`` but the hidden ones (the work dir's lock)."""
    return sorted(name for name in os.listdir(folder)
                  if not name.startswith('.'))


def test_old_checkpoint_is_deleted_after_the_new_one_and_pointer(tmp_path):
    hook = HOOKS.build(
        dict(
            type='AtomicCheckpointHook',
            interval=1,
            max_keep_ckpts=1,
            backend_args=dict(backend='atomic_local')))
    runner = _fake_runner(tmp_path, epoch=0)
    runner.call_hook = _call_hook(runner)
    seen: List[tuple] = []

    def save_checkpoint(out_dir: str, filename: str, *args, **kwargs):
        runner.events.append('save')
        # What a kill at this moment would leave behind.
        seen.append((_visible(out_dir),
                     (tmp_path / 'last_checkpoint').read_text()
                     if (tmp_path / 'last_checkpoint').exists() else None))
        hook.file_backend.put(b'weights', os.path.join(out_dir, filename))

    runner.save_checkpoint = save_checkpoint
    hook.before_train(runner)
    assert isinstance(hook.file_backend, AtomicLocalBackend)
    for epoch in range(3):
        runner.epoch = epoch
        hook.after_train_epoch(runner)

    pointer = tmp_path / 'last_checkpoint'
    assert seen == [([], None),
                    (['epoch_1.pth', 'last_checkpoint'],
                     str(tmp_path / 'epoch_1.pth')),
                    (['epoch_2.pth', 'last_checkpoint'],
                     str(tmp_path / 'epoch_2.pth'))]
    assert _visible(tmp_path) == ['epoch_3.pth', 'last_checkpoint']
    assert pointer.read_text() == str(tmp_path / 'epoch_3.pth')
    assert runner.message_hub.get_info('keep_ckpt_ids') == [3]
    # Every rank gathers what a checkpoint holds (RNGStateHook: the random
    # states) right before each write.
    assert runner.events == ['before_checkpoint_on_every_rank', 'save'] * 3


def _env() -> dict:
    path = [str(REPO / 'tests' / 'data'), os.environ.get('PYTHONPATH', '')]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path)))


def _kill_when_stalled(args: List[str], marker: Path, log: Path) -> None:
    """Run ``args`` until ``marker`` appears, then SIGKILL its process
    group."""
    with log.open('w') as out:
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and (
                time.monotonic() < deadline):
            time.sleep(0.05)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert marker.exists(), f'the write never stalled:\n{log.read_text()}'
    assert proc.returncode == -signal.SIGKILL


def _train_args(config: Path, work_dir: Path, data_root: Path, keep: int,
                epochs: int, *args: str) -> List[str]:
    loaders = ('train_dataloader', 'val_dataloader')
    return python_tool(
        'tools/train.py', str(config), *args, '--work-dir', str(work_dir),
        '--cfg-options', f'train_cfg.max_epochs={epochs}',
        f'default_hooks.checkpoint.max_keep_ckpts={keep}',
        *[f'{loader}.dataset.data_root={data_root}' for loader in loaders])


# target: the file whose write is killed; keep: max_keep_ckpts; overwrite:
# the killed run resumes from epoch 1 in a work dir whose last_checkpoint
# names epoch_2.pth, so it re-saves the very file the pointer names.
SCENARIOS = dict(
    new_checkpoint=dict(target='epoch_2.pth', keep=1, overwrite=False),
    pointer=dict(target='last_checkpoint', keep=1, overwrite=False),
    named_checkpoint=dict(target='epoch_2.pth', keep=-1, overwrite=True))


@pytest.mark.parametrize('scenario', list(SCENARIOS))
def test_kill_during_checkpoint_write_keeps_work_dir_resumable(
        tmp_path, image_folder, scenario):
    target = SCENARIOS[scenario]['target']
    keep = SCENARIOS[scenario]['keep']
    overwrite = SCENARIOS[scenario]['overwrite']
    work_dir, marker = tmp_path / 'work', tmp_path / 'stalled'
    resume_from = []
    if overwrite:
        run_tool(_train_args(CONFIG, work_dir, image_folder, keep, 2))
        resume_from = ['--resume', str(work_dir / 'epoch_1.pth')]
    survivor = work_dir / ('epoch_2.pth' if overwrite else 'epoch_1.pth')
    before = survivor.read_bytes() if overwrite else None

    # The same file name: a resume refuses another config's checkpoint.
    (tmp_path / 'variant').mkdir()
    stalled = tmp_path / 'variant' / CONFIG.name
    stalled.write_text(
        STALLED.format(base=str(CONFIG), target=target, marker=str(marker)))
    _kill_when_stalled(
        _train_args(stalled, work_dir, image_folder, keep, 3, *resume_from),
        marker, tmp_path / 'killed.log')

    assert (work_dir / 'last_checkpoint').read_text() == str(survivor)
    checkpoint = torch.load(survivor, weights_only=True)
    assert checkpoint['meta']['epoch'] == (2 if overwrite else 1)
    if overwrite:
        assert survivor.read_bytes() == before

    proc = run_tool(
        _train_args(CONFIG, work_dir, image_folder, keep, 3, '--resume'))
    assert f'Auto resumed from the latest checkpoint {survivor}' in (
        proc.stdout + proc.stderr)
    final = Path((work_dir / 'last_checkpoint').read_text())
    assert final == work_dir / 'epoch_3.pth'
    assert torch.load(final, weights_only=True)['meta']['epoch'] == 3
