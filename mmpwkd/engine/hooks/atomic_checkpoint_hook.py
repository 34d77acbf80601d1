"""Checkpoints that a kill at any moment cannot make unresumable.

mmengine 0.10.7's ``CheckpointHook`` deletes the checkpoint that falls out of
``max_keep_ckpts`` *before* it writes the new one, and rewrites the
``last_checkpoint`` pointer in place. A process killed in between leaves the
pointer naming a deleted file, or an empty pointer, and ``--resume`` fails.
This hook writes the checkpoint first, then replaces the pointer atomically,
and deletes old checkpoints last.

Two runs training into one work dir at once would delete each other's
checkpoints and point ``last_checkpoint`` at the other's. The hook holds an
exclusive lock (``flock``) on the checkpoint folder from the start of
training to its end; a second run stops before its first iteration, naming
the folder. The kernel drops the lock when its process dies, so a killed run
never leaves a folder locked.
"""
import fcntl
import logging
import os
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmpwkd.registry import HOOKS
from mmpwkd.utils.atomic_file import atomic_write

# mmengine's CheckpointHook.before_train and its save_checkpoint build a
# FileClient even when file_client_args is None and then never use it (kept
# "until MMEngine 1.0"), which logs deprecation warnings in every run that no
# config can avoid.
UNUSED_FILE_CLIENT_WARNINGS = ('"FileClient" will be deprecated',
                               '"HardDiskBackend" is the alias of')


class _DropMessages(logging.Filter):
    """Drop the log records whose message contains one of ``parts``."""

    def __init__(self, parts: tuple) -> None:
        super().__init__()
        self.parts = parts

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(part in message for part in self.parts)


@contextmanager
def _unused_file_client_muted(hook: CheckpointHook,
                              runner) -> Iterator[None]:
    """Mute the FileClient warnings, unless the user set
    ``file_client_args`` (then the client is used and the note is theirs)."""
    if hook.file_client_args is not None:
        yield
        return
    muted = _DropMessages(UNUSED_FILE_CLIENT_WARNINGS)
    runner.logger.addFilter(muted)
    try:
        yield
    finally:
        runner.logger.removeFilter(muted)


@HOOKS.register_module()
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook``, crash-safe in its order of writes.

    The checkpoint file itself is crash-safe when written through
    :class:`AtomicLocalBackend`, ``backend_args=dict(backend='atomic_local')``
    as in ``configs/_base_/default_runtime.py``: a kill then leaves either the
    old or the new file under its name.

    Args:
        **kwargs: The arguments of mmengine's ``CheckpointHook``, unchanged.
    """

    _lock: Optional[int] = None

    def before_train(self, runner) -> None:
        """mmengine's ``before_train`` (without the warnings about the
        FileClient it builds and does not use), then the folder's lock."""
        with _unused_file_client_muted(self, runner):
            super().before_train(runner)
        if is_main_process() and osp.isdir(self.out_dir):
            self._lock = _lock_folder(self.out_dir)

    def after_run(self, runner) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _save_checkpoint_with_step(self, runner, step: int,
                                   meta: dict) -> None:
        stale = self._keep_step(runner, step)
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        with _unused_file_client_muted(self, runner):
            runner.save_checkpoint(
                self.out_dir,
                filename,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        if not is_main_process():
            return
        atomic_write(
            osp.join(runner.work_dir, 'last_checkpoint'),
            self.last_ckpt.encode('utf-8'))
        for path in stale:
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                # DeepSpeed saves a checkpoint as a folder.
                self.file_backend.rmtree(path)

    def _keep_step(self, runner, step: int) -> List[str]:
        """Add ``step`` to the kept checkpoints (also in the message hub, so
        the new checkpoint records it); return the paths that fall out."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids
                                        and self.keep_ckpt_ids[-1] == step):
            return []
        stale = []
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            dropped = self.keep_ckpt_ids.popleft()
            stale.append(
                self.file_backend.join_path(
                    self.out_dir, self.filename_tmpl.format(dropped)))
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        return stale



def _lock_folder(path: str) -> int:
    """Hold an exclusive lock on the folder ``path``; fail at once when
    another process holds it. Returns the descriptor that holds it."""
    handle = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        raise RuntimeError(
            f'AtomicCheckpointHook: {path} is in use by another training '
            'run that is still going; two runs in one work dir would delete '
            "and overwrite each other's checkpoints. Give this run its own "
            '--work-dir, or wait for that one to end.') from None
    return handle
