"""Test-only hooks that crash a training run at an exact moment.

Loaded by the tests' configs through ``custom_imports`` (with this folder on
``PYTHONPATH``), so a test kills a run where it wants instead of sleeping and
hoping.
"""
import builtins
import os
import os.path as osp
import signal
import time
from pathlib import Path
from typing import Any, Optional

from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmpwkd.registry import HOOKS

WRITE_MODES = frozenset('wxa')


@HOOKS.register_module()
class SelfKillHook(Hook):
    """SIGKILL this process before training iteration ``at_iter``.

    Args:
        at_iter (int): 0-based iteration; the iterations before it and their
            checkpoints are complete when the process dies.
        rank (int): The rank that kills itself. Defaults to 0, which writes
            the checkpoints, so none is being written at the kill.
    """

    priority = 'LOWEST'  # after the stage hook has entered the iteration

    def __init__(self, at_iter: int, rank: int = 0) -> None:
        self.at_iter = at_iter
        self.rank = rank

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[Any] = None) -> None:
        if runner.iter == self.at_iter and get_rank() == self.rank:
            os.kill(os.getpid(), signal.SIGKILL)


class _StalledFile:
    """A file whose first write stores half its data, announces that by
    creating ``marker`` and then blocks until the process is killed."""

    def __init__(self, file: Any, marker: str) -> None:
        self._file = file
        self._marker = marker

    def __enter__(self) -> '_StalledFile':
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self._file.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def write(self, data: Any) -> int:
        self._file.write(data[:len(data) // 2])
        self._file.flush()
        Path(self._marker).touch()
        while True:
            time.sleep(1)


def stall_writes(target: str, marker: str) -> None:
    """From now on, a write to a file whose name contains ``target`` (the
    temporary file of an atomic write carries the target's name too) stores
    half its data, creates ``marker`` and blocks until the process dies.

    Args:
        target (str): Part of the file name, e.g. ``'epoch_2.pth'``.
        marker (str): The file that tells the test to kill the process.
    """
    real_open = builtins.open

    def stalling_open(file: Any, mode: str = 'r', *args: Any,
                      **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        if isinstance(file, (str, os.PathLike)) and WRITE_MODES & set(
                mode) and target in osp.basename(os.fspath(file)):
            return _StalledFile(handle, marker)
        return handle

    builtins.open = stalling_open


@HOOKS.register_module()
class StallWriteHook(Hook):
    """Stall the write of ``target`` when the checkpoint of ``epoch`` is
    saved, half-way through, until the test kills the process.

    Args:
        epoch (int): The epoch whose checkpoint save arms the stall.
        target (str): Part of the name of the file to stall, e.g.
            ``'epoch_2.pth'`` or ``'last_checkpoint'``.
        marker (str): File created once half of the data is written.
    """

    def __init__(self, epoch: int, target: str, marker: str) -> None:
        self.epoch = epoch
        self.target = target
        self.marker = marker

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if checkpoint['meta']['epoch'] == self.epoch:
            stall_writes(self.target, self.marker)
