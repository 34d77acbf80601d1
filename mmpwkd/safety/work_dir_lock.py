"""One training run per work dir at a time, held by its main process only.

Two runs training into one work dir would delete and overwrite each other's
checkpoints and point ``last_checkpoint`` at the other's. The run's main
process (rank 0) holds an exclusive lock on a file in the checkpoint folder
(``filelock``, portable to every OS torch runs on) from the start of training
to its end, and records its PID next to it. The operating system drops the
lock when its holder dies, so a killed run never leaves a folder locked.

Dataloader workers are forked from the main process after it took the lock.
``filelock`` (4.3.1 is tested) closes the lock's descriptor in forked
children, so a worker orphaned by a SIGKILL of the main process does not keep
the lock. Should a leftover process still hold it (another ``filelock``
version), a new run that finds the recorded holder dead waits for it to let
go instead of calling the dead run still going, and if it must give up, its
message says which processes to end.
"""
import os
import os.path as osp
import socket
from typing import Optional

from filelock import FileLock, Timeout

from .atomic_file import atomic_write

__all__ = ['WorkDirLock']

LOCK_NAME = '.train.lock'
OWNER_NAME = '.train.lock.owner'
# How long a new run waits for the leftovers of a dead holder (PyTorch's
# dataloader workers notice a dead parent within 5 seconds and exit).
DEAD_HOLDER_GRACE_S = 30.0


def _pid_alive(pid: int) -> Optional[bool]:
    """Whether process ``pid`` runs on this machine; None where the OS
    cannot tell without sending a signal (Windows)."""
    if os.name != 'posix':
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class WorkDirLock:
    """An exclusive lock on a checkpoint folder for one training run.

    Args:
        folder (str): The folder the run writes its checkpoints into.
        owner (str): Who asks, named in the messages. Defaults to
            ``'AtomicCheckpointHook'``.
    """

    def __init__(self, folder: str,
                 owner: str = 'AtomicCheckpointHook') -> None:
        self.folder = folder
        self.owner = owner
        self._lock = FileLock(osp.join(folder, LOCK_NAME))

    def acquire(self) -> None:
        """Take the lock, or raise ``RuntimeError`` naming its holder."""
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            self._wait_for_a_dead_holder()
        atomic_write(
            osp.join(self.folder, OWNER_NAME),
            f'{os.getpid()} {socket.gethostname()}\n'.encode())

    def release(self) -> None:
        """Let go of the lock (also done by the OS when the process ends)."""
        if self._lock.is_locked:
            self._lock.release()

    def _holder(self) -> tuple:
        """(pid, host) of the recorded holder; (None, None) if unknown."""
        try:
            with open(osp.join(self.folder, OWNER_NAME)) as file:
                pid, host = file.read().split()
            return int(pid), host
        except (OSError, ValueError):
            return None, None

    def _wait_for_a_dead_holder(self) -> None:
        pid, host = self._holder()
        here = host == socket.gethostname()
        alive = _pid_alive(pid) if pid is not None and here else None
        if alive is False:
            try:
                self._lock.acquire(timeout=DEAD_HOLDER_GRACE_S)
                return
            except Timeout:
                pass
        holder = ('an unknown process' if pid is None else
                  f'PID {pid} on {host}')
        if alive is False:
            state = (f'its holder, {holder}, has ended, but processes it '
                     'started (dataloader workers) still hold the lock after '
                     f'{DEAD_HOLDER_GRACE_S:g} s: end the processes whose '
                     f'parent was {pid} (ps -o pid,ppid,cmd)')
        elif alive:
            state = f'held by {holder}, which is still running'
        else:
            state = (f'held by {holder}; check whether that process still '
                     'runs')
        raise RuntimeError(
            f'{self.owner}: {self.folder} is in use by another training '
            f'run ({state}). Two runs in one work dir would delete and '
            "overwrite each other's checkpoints. Give this run its own "
            '--work-dir, or wait for that one to end.')
