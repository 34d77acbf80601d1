"""SIGKILL a PWKD training run, resume it with ``--resume``, and land exactly
where an uninterrupted run lands: mid stage 2 (mid-epoch) in one process and
in 2-process gloo DDP, and exactly at the boundary of stages 2 and 3.

The runs kill themselves with a test-only hook (``tests/data/fault_hooks.py``)
before a chosen iteration, so the kill point is exact; each test asserts that
it lies where it should (after which checkpoint, before which iteration).
"""
import json
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch

import mmpwkd  # noqa: F401  (checkpoint allowlist)

from conftest import REPO, python_tool
from helpers import tiny_pwkd

# The same run, killed before iteration ``at_iter`` (0-based).
KILLED = """
_base_ = [{base!r}]

custom_imports = dict(imports=['mmpwkd', 'fault_hooks'])
default_hooks = dict(self_kill=dict(type='SelfKillHook', at_iter={at_iter}))
"""

FINAL = 'epoch_5.pth'
TIMING_KEYS = frozenset(('time', 'data_time', 'eta', 'memory'))
TIMEOUT = 300


def _write_configs(folder: Path, data_root: Path,
                   at_iter: int) -> Tuple[Path, Path]:
    """The tiny config and its killed variant; returns their paths. The
    PWKD config with 8x narrower ResNets, a random teacher and 16 synthetic
    32x32 images, batch 4: 4 iterations an epoch in one process, 2 with
    two. Stages of 1, 2, 1 and 1 epochs, so a checkpoint (epoch 2) lies
    inside stage 2. Validation scores the student and the teacher every
    epoch."""
    base = folder / 'tiny_pwkd.py'
    base.write_text(
        tiny_pwkd(str(REPO / 'configs' / 'pwkd' / 'r34_r18_in1k.py'),
                  data_root, stage_epochs=(1, 2, 1, 1), val_batch=8,
                  narrow=True))
    # The same file name: a resume refuses another config's checkpoint.
    (folder / 'self_kill').mkdir(exist_ok=True)
    killed = folder / 'self_kill' / 'tiny_pwkd.py'
    killed.write_text(KILLED.format(base=str(base), at_iter=at_iter))
    return base, killed


def _env() -> Dict[str, str]:
    """This environment with the fault hooks importable."""
    path = [str(REPO / 'tests' / 'data'), os.environ.get('PYTHONPATH', '')]
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _assert_group_gone(pgid: int) -> None:
    """Fail (after killing them) if processes of the group outlive it."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.killpg(pgid, signal.SIGKILL)
    raise AssertionError(f'processes of group {pgid} outlived the run')


def _run(args: List[str], log: Path) -> Tuple[int, str]:
    """Run ``args`` in a process group of its own; returns its exit code and
    output, after checking that no process of the group is left."""
    with log.open('w') as out:
        proc = subprocess.Popen(
            args,
            cwd=REPO,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            proc.wait(timeout=TIMEOUT)
        finally:
            if proc.returncode is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    _assert_group_gone(proc.pid)
    return proc.returncode, log.read_text()


def _train(config: Path, work_dir: Path, nproc: int,
           *args: str) -> Tuple[int, str]:
    """Train with ``tools/train.py`` or, for 2 processes, with
    ``tools/dist_train.sh``; returns the exit code and the output."""
    tail = [str(config), '--work-dir', str(work_dir), *args]
    if nproc == 1:
        command = python_tool('tools/train.py', *tail)
    else:
        command = [
            'env', f'PORT={_free_port()}', 'bash', 'tools/dist_train.sh',
            tail[0], str(nproc), *tail[1:]
        ]
    runs = len(list(work_dir.parent.glob(f'{work_dir.name}.*.log')))
    return _run(command, work_dir.parent / f'{work_dir.name}.{runs}.log')


def _train_ok(config: Path, work_dir: Path, nproc: int, *args: str) -> str:
    code, output = _train(config, work_dir, nproc, *args)
    assert code == 0, f'training exited {code}:\n{output[-6000:]}'
    return output


def _checkpoint(path: Path) -> dict:
    return torch.load(path, weights_only=True)


def _assert_killed_after(work_dir: Path, epoch: int, iteration: int) -> None:
    """The last checkpoint is ``epoch_{epoch}.pth`` at ``iteration``, and no
    later one exists."""
    pointer = (work_dir / 'last_checkpoint').read_text()
    assert pointer == str(work_dir / f'epoch_{epoch}.pth')
    assert _checkpoint(Path(pointer))['meta']['iter'] == iteration
    assert sorted(p.name for p in work_dir.glob('epoch_*.pth')) == [
        f'epoch_{e}.pth' for e in range(1, epoch + 1)
    ]


def _stages_entered(log: str) -> List[Tuple[int, float]]:
    return [(int(stage), float(width)) for stage, width in re.findall(
        r'PWKD stage (\d)/4: teacher width ([\d.]+)', log)]


def _records(work_dir: Path) -> List[Dict]:
    """The newest run's scalars.json, without timings."""
    files = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    lines = files[-1].read_text().splitlines()
    return [{k: v
             for k, v in json.loads(line).items() if k not in TIMING_KEYS}
            for line in lines]


def _assert_same_finish(full: Path, resumed: Path, after_iter: int,
                        from_epoch: int) -> None:
    """Training logs after ``after_iter``, validation metrics from
    ``from_epoch`` on and the final weights of the resumed run equal those
    of the uninterrupted one."""
    full_log, resumed_log = _records(full), _records(resumed)
    train = [r for r in resumed_log if 'loss' in r]
    assert train and train[0]['iter'] == after_iter + 1
    assert train == [
        r for r in full_log if 'loss' in r and r['iter'] > after_iter
    ]
    val = [r for r in resumed_log if 'accuracy/top1' in r]
    assert [r['step'] for r in val] == list(range(from_epoch, 6))
    assert val == [
        r for r in full_log
        if 'accuracy/top1' in r and r['step'] >= from_epoch
    ]
    final_full = _checkpoint(full / FINAL)['state_dict']
    final_resumed = _checkpoint(resumed / FINAL)['state_dict']
    assert final_resumed.keys() == final_full.keys()
    assert any(key.startswith('student.') for key in final_full)
    for key, value in final_full.items():
        assert torch.equal(value, final_resumed[key]), key


def _kill(tmp_path: Path, data_root: Path, nproc: int,
          at_iter: int) -> Tuple[Path, Path, str]:
    """Train the killed config in ``tmp_path/killed``; returns the plain
    config (to resume with), the work dir and the killed run's output."""
    config, killed = _write_configs(tmp_path, data_root, at_iter)
    work_dir = tmp_path / 'killed'
    code, log = _train(killed, work_dir, nproc)
    if nproc == 1:
        assert code == -signal.SIGKILL, log[-6000:]
    else:
        assert code != 0 and 'Signal 9 (SIGKILL)' in log, log[-6000:]
    return config, work_dir, log


@pytest.fixture(scope='module')
def single_full(tmp_path_factory, image_folder) -> Path:
    """The work dir of an uninterrupted single-process run."""
    folder = tmp_path_factory.mktemp('single')
    config, _ = _write_configs(folder, image_folder, at_iter=0)
    _train_ok(config, folder / 'full', 1)
    return folder / 'full'


def test_kill_mid_stage2_resumes_exactly(tmp_path, image_folder,
                                         single_full):
    # Epoch 3 (iterations 8-11) is the second epoch of stage 2; the kill
    # comes after two of its iterations.
    config, work_dir, killed_log = _kill(tmp_path, image_folder, 1, 10)
    assert 'Epoch(train) [3][2/4]' in killed_log
    assert 'Epoch(train) [3][3/4]' not in killed_log
    _assert_killed_after(work_dir, epoch=2, iteration=8)

    resumed_log = _train_ok(config, work_dir, 1, '--resume')
    assert 'Restored the random states' in resumed_log
    assert _stages_entered(resumed_log) == [(2, 0.5), (3, 0.75), (4, 1.0)]
    assert 'PWKD stage 2/4: teacher width 0.5 from epoch 3 to 3' in (
        resumed_log)
    _assert_same_finish(single_full, work_dir, after_iter=8, from_epoch=3)


def test_kill_at_stage_boundary_resumes_exactly(tmp_path, image_folder,
                                                single_full):
    # Iteration 12 opens stage 3: the run has entered it, then dies before
    # training a step at width 0.75.
    config, work_dir, killed_log = _kill(tmp_path, image_folder, 1, 12)
    assert _stages_entered(killed_log)[-1] == (3, 0.75)
    assert 'Epoch(train) [3][4/4]' in killed_log
    assert 'Epoch(train) [4][1/4]' not in killed_log
    _assert_killed_after(work_dir, epoch=3, iteration=12)

    resumed_log = _train_ok(config, work_dir, 1, '--resume')
    assert _stages_entered(resumed_log) == [(3, 0.75), (4, 1.0)]
    _assert_same_finish(single_full, work_dir, after_iter=12, from_epoch=4)


def test_kill_rank0_mid_stage2_in_gloo_ddp_resumes_exactly(
        tmp_path, image_folder):
    config, _ = _write_configs(tmp_path, image_folder, at_iter=0)
    full = tmp_path / 'full'
    _train_ok(config, full, 2)
    # Two ranks: 2 iterations an epoch, epoch 3 is iterations 4 and 5.
    # Rank 0 writes the checkpoints and dies; torchrun must end rank 1.
    config, work_dir, killed_log = _kill(tmp_path, image_folder, 2, 5)
    assert 'Epoch(train) [3][1/2]' in killed_log
    assert 'Epoch(train) [3][2/2]' not in killed_log
    _assert_killed_after(work_dir, epoch=2, iteration=4)

    resumed_log = _train_ok(config, work_dir, 2, '--resume')
    # Both ranks' random states were gathered into the checkpoint.
    assert 'Restored the random states' in resumed_log
    assert 'random states are not restored' not in resumed_log
    assert _stages_entered(resumed_log) == [(2, 0.5), (3, 0.75), (4, 1.0)]
    _assert_same_finish(full, work_dir, after_iter=4, from_epoch=3)
