"""configs/pwkd/r34_r18_in1k.py trained by tools/dist_train.sh with 2 gloo
processes on CPU: all four stages, and an exact resume."""
import re
import socket
from pathlib import Path
from typing import Dict

import torch

import mmpwkd  # noqa: F401  (checkpoint allowlist)

from conftest import REPO, run_tool
from helpers import tiny_pwkd


def write_tiny_config(folder: Path, data_root: Path) -> Path:
    """Write the tiny PWKD config into ``folder``; returns its path: 8x
    narrower ResNets, a random teacher, 16 synthetic 32x32 images (batch
    4 on each of 2 ranks: 2 iterations an epoch), one epoch per stage."""
    path = folder / 'tiny_pwkd.py'
    base = str(REPO / 'configs' / 'pwkd' / 'r34_r18_in1k.py')
    path.write_text(tiny_pwkd(base, data_root, narrow=True))
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _dist_train(config: Path, work_dir: Path, *args: str) -> str:
    """Run 2 gloo processes; returns their combined output."""
    proc = run_tool([
        'env', f'PORT={_free_port()}', 'bash', 'tools/dist_train.sh',
        str(config), '2', '--work-dir',
        str(work_dir), *args
    ], timeout=400)
    return proc.stdout + proc.stderr


def _stages_entered(log: str) -> list:
    return [int(k) for k in re.findall(r'PWKD stage (\d)/4: teacher width',
                                       log)]


def _state(path: Path) -> Dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)['state_dict']


def test_two_process_pwkd_trains_all_stages_and_resumes(
        tmp_path, image_folder):
    config = write_tiny_config(tmp_path, image_folder)
    full, resumed = tmp_path / 'full', tmp_path / 'resumed'
    full_log = _dist_train(config, full)
    resumed_log = _dist_train(config, resumed, '--resume',
                              str(full / 'epoch_2.pth'))

    assert _stages_entered(full_log) == [1, 2, 3, 4]
    # 2 ranks x 4 images per iteration over 16 images: 2 iterations a stage.
    assert 'Epoch(train) [4][2/2]' in full_log
    assert _stages_entered(resumed_log) == [3, 4]
    start, end = _state(full / 'epoch_2.pth'), _state(full / 'epoch_4.pth')
    final = _state(resumed / 'epoch_4.pth')
    assert final.keys() == end.keys()
    student = [key for key in end if key.startswith('student.')]
    assert student
    for key in student:
        assert torch.equal(final[key], end[key]), key
    assert any(not torch.equal(start[key], end[key]) for key in student)
    for key in end:
        if key.startswith('teacher.'):
            assert torch.equal(start[key], end[key]), key
