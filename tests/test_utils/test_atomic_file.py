"""Atomic writes: a crash mid-write leaves the old file, never a part."""
import os
import signal
import subprocess
import sys
import time

import pytest
from mmengine.fileio import LocalBackend, get_file_backend

import mmpwkd  # noqa: F401  (registers the 'atomic_local' backend)
from mmpwkd.safety import AtomicLocalBackend, atomic_write

from conftest import REPO

# A child that overwrites ``path`` atomically, but stalls half-way through
# (tests/data/fault_hooks.py) until the test kills it.
STALLED_WRITER = """
import sys
from fault_hooks import stall_writes
from mmpwkd.safety import atomic_write
path, marker = sys.argv[1:]
stall_writes('target.bin', marker)
atomic_write(path, b'new' * 100000)
"""


def test_atomic_write_creates_and_replaces(tmp_path):
    path = tmp_path / 'sub' / 'file.bin'
    atomic_write(path, b'old')
    assert path.read_bytes() == b'old'
    atomic_write(str(path), b'new content')
    assert path.read_bytes() == b'new content'
    assert os.listdir(path.parent) == ['file.bin']


def test_failed_write_keeps_old_file_and_no_part(tmp_path, monkeypatch):
    path = tmp_path / 'file.bin'
    path.write_bytes(b'old')

    def failing_fsync(fd: int) -> None:
        raise OSError('disk full')

    monkeypatch.setattr(os, 'fsync', failing_fsync)
    with pytest.raises(OSError, match='disk full'):
        atomic_write(path, b'new')
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['file.bin']


def test_killed_write_keeps_old_file(tmp_path):
    path, marker = tmp_path / 'target.bin', tmp_path / 'stalled'
    path.write_bytes(b'old')
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(
            [str(REPO / 'tests' / 'data'),
             os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.Popen(
        [sys.executable, '-c', STALLED_WRITER,
         str(path), str(marker)],
        env=env,
        stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not marker.exists() and proc.poll() is None:
        assert time.monotonic() < deadline, 'the write never stalled'
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    _, stderr = proc.communicate()
    assert marker.exists(), stderr.decode()
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == b'old'
    # The half-written data sits in a hidden part file, not in a .pth.
    parts = [p for p in os.listdir(tmp_path) if p.endswith('.part')]
    assert len(parts) == 1 and parts[0].startswith('.target.bin.')
    assert 0 < (tmp_path / parts[0]).stat().st_size < 300000


def test_backend_is_selected_by_name_only(tmp_path):
    backend = get_file_backend(
        str(tmp_path), backend_args=dict(backend='atomic_local'))
    assert isinstance(backend, AtomicLocalBackend)
    # A plain local path keeps mmengine's own backend.
    assert type(get_file_backend(str(tmp_path))) is LocalBackend

    backend.put(b'\x00bytes', tmp_path / 'a.pth')
    backend.put_text('text \u00e9', tmp_path / 'b.txt')
    assert backend.get(tmp_path / 'a.pth') == b'\x00bytes'
    assert backend.get_text(tmp_path / 'b.txt') == 'text \u00e9'
    assert sorted(os.listdir(tmp_path)) == ['a.pth', 'b.txt']
