"""One run per work dir: a second run stops, a dead run's orphaned workers do
not keep the lock, a fresh run never overwrites another run's checkpoints,
and the lock works where ``fcntl`` does not exist."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from mmpwkd.safety import WorkDirLock
from mmpwkd.utils import register_all_modules

from conftest import REPO

CONFIG = REPO / 'tests' / 'data' / 'tiny_cls.py'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')

# Takes the lock of argv[1] like a training run, forks a child that sleeps
# (what a dataloader worker does between batches), prints both PIDs and
# waits to be killed.
HOLDER = """
import os, sys, time
from mmpwkd.safety import WorkDirLock
lock = WorkDirLock(sys.argv[1])
lock.acquire()
child = os.fork() if sys.argv[2] == 'fork' else 0
if child == 0 and sys.argv[2] == 'fork':
    time.sleep(60)
    os._exit(0)
print(os.getpid(), child, flush=True)
time.sleep(60)
"""


def _runner(config: Path, work_dir: Path, data_root: Path,
            **options) -> Runner:
    register_all_modules()
    cfg = Config.fromfile(config)
    for loader in LOADERS:
        cfg[loader].dataset.data_root = str(data_root)
    cfg.merge_from_dict(options)
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{work_dir.name}_{time.monotonic_ns()}'
    return Runner.from_cfg(cfg)


def _hold(folder: Path, mode: str) -> tuple:
    """Start a process holding ``folder``'s lock; its PID and its child's."""
    proc = subprocess.Popen(
        [sys.executable, '-c', HOLDER, str(folder), mode],
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)))
    holder, child = map(int, proc.stdout.readline().split())
    return proc, holder, child


def test_a_second_run_in_a_locked_work_dir_stops(tmp_path, image_folder):
    work_dir = tmp_path / 'work'
    work_dir.mkdir()
    proc, holder, _ = _hold(work_dir, 'alone')
    try:
        runner = _runner(CONFIG, work_dir, image_folder)
        with pytest.raises(RuntimeError) as error:
            runner.train()
        assert 'is in use by another training run' in str(error.value)
        assert f'PID {holder}' in str(error.value)
        assert 'which is still running' in str(error.value)
        assert not list(work_dir.glob('*.pth'))
    finally:
        proc.kill()
        proc.wait()
    _runner(CONFIG, work_dir, image_folder).train()
    assert (work_dir / 'epoch_1.pth').exists()


def test_the_lock_belongs_to_the_main_process_only(tmp_path):
    """After a SIGKILL of the run, its forked children (dataloader workers,
    orphaned for a few seconds) do not hold the lock: a restart gets it at
    once."""
    proc, _, child = _hold(tmp_path, 'fork')
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        os.kill(child, 0)  # the orphan still runs
        lock = WorkDirLock(str(tmp_path))
        start = time.monotonic()
        lock.acquire()
        assert time.monotonic() - start < 5
        assert (tmp_path / '.train.lock.owner').read_text().split()[0] == (
            str(os.getpid()))
        lock.release()
    finally:
        os.kill(child, signal.SIGKILL)


def test_a_fresh_run_does_not_overwrite_another_runs_checkpoints(
        tmp_path, image_folder):
    """Two configs with the same file name share a default work dir: the
    second, started afresh, stops naming the first one's checkpoints."""
    work_dir = tmp_path / 'work'
    _runner(CONFIG, work_dir, image_folder).train()
    before = (work_dir / 'epoch_1.pth').read_bytes()
    other = tmp_path / 'other' / CONFIG.name
    other.parent.mkdir()
    other.write_text(f'_base_ = [{str(CONFIG)!r}]\n')
    runner = _runner(other, work_dir, image_folder)
    with pytest.raises(RuntimeError) as error:
        runner.train()
    assert str(error.value) == (
        f'AtomicCheckpointHook: {work_dir} holds 1 checkpoints of an '
        'earlier run (epoch_1.pth), and this run starts afresh (no '
        '--resume): it would overwrite them. Continue that run with '
        '--resume, give this one its own --work-dir, or set '
        'default_hooks.checkpoint.allow_overwrite=True to replace them.')
    assert runner.iter == 0
    assert (work_dir / 'epoch_1.pth').read_bytes() == before
    _runner(other, work_dir, image_folder,
            default_hooks=dict(checkpoint=dict(allow_overwrite=True))).train()
    assert (work_dir / 'epoch_1.pth').read_bytes() != before


def test_a_machine_without_fcntl_imports_and_locks(tmp_path):
    """``fcntl`` exists on POSIX only; the package and its lock work
    without it."""
    code = ('import sys; sys.modules["fcntl"] = None\n'
            'from mmpwkd.utils import register_all_modules\n'
            'register_all_modules()\n'
            'from mmpwkd.safety import WorkDirLock\n'
            f'WorkDirLock({str(tmp_path)!r}).acquire()\n'
            'print("locked")\n')
    proc = subprocess.run([sys.executable, '-c', code],
                          capture_output=True,
                          text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == 'locked'
