"""Checkpoints that a kill at any moment cannot make unresumable.

mmengine 0.10.7's ``CheckpointHook`` deletes the checkpoint that falls out of
``max_keep_ckpts`` *before* it writes the new one, and rewrites the
``last_checkpoint`` pointer in place with a plain ``open(path, 'w')``. A
process killed in between leaves the pointer naming a deleted file, or an
empty pointer, and ``--resume`` fails. This hook saves at the same moments
through the public hook methods (``after_train_epoch``,
``after_train_iter``), writes the checkpoint first (atomically, through
:class:`AtomicLocalBackend`), then replaces the pointer atomically, and
deletes old checkpoints last.

Before the first iteration, it takes the work dir's lock
(:class:`WorkDirLock`), and a fresh run (not ``--resume``) stops when the
folder already holds checkpoints, which it would overwrite.
"""
import glob
import logging
import os.path as osp
from contextlib import contextmanager
from typing import Iterator, List, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from mmpwkd.registry import HOOKS
from mmpwkd.utils.arg_checks import check_bool
from ..atomic_file import atomic_write
from ..work_dir_lock import WorkDirLock
from .rng_state_hook import GATHER_EVENT

DATA_BATCH = Optional[dict]

# mmengine's CheckpointHook.before_train and Runner.save_checkpoint build a
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
    as in ``configs/_base_/safety.py``: a kill then leaves either the old or
    the new file under its name.

    Before each checkpoint, on every rank, it calls the hook method
    ``before_checkpoint_on_every_rank`` of the hooks that have one
    (``RNGStateHook`` gathers every rank's random states there, for rank 0
    to save); ``calls_gather_event`` says so.

    Args:
        allow_overwrite (bool): Let a fresh run (not a resume) train into a
            folder that holds checkpoints, overwriting them. Defaults to
            False.
        **kwargs: The arguments of mmengine's ``CheckpointHook``, unchanged.
    """

    calls_gather_event = True

    def __init__(self, allow_overwrite: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.allow_overwrite = check_bool('AtomicCheckpointHook',
                                          'allow_overwrite', allow_overwrite)
        self.work_dir_lock: Optional[WorkDirLock] = None

    def before_train(self, runner) -> None:
        """mmengine's ``before_train`` (without the warnings about the
        FileClient it builds and does not use), then the folder's lock and
        the check for another run's checkpoints."""
        with _unused_file_client_muted(self, runner):
            super().before_train(runner)
        if not (is_main_process() and osp.isdir(self.out_dir)):
            return
        self.work_dir_lock = WorkDirLock(self.out_dir)
        self.work_dir_lock.acquire()
        if not (runner.cfg.get('resume', False) or self.allow_overwrite):
            try:
                self._refuse_to_overwrite()
            except RuntimeError:
                self.after_run(runner)
                raise

    def _refuse_to_overwrite(self) -> None:
        found = sorted(
            osp.basename(path) for pattern in (
                self.filename_tmpl.format('*'), 'best_*.pth')
            for path in glob.glob(osp.join(glob.escape(self.out_dir),
                                           pattern)))
        if not found:
            return
        shown = found if len(found) <= 5 else [*found[:5], '...']
        raise RuntimeError(
            f'AtomicCheckpointHook: {self.out_dir} holds {len(found)} '
            f'checkpoints of an earlier run ({", ".join(shown)}), and this '
            'run starts afresh (no --resume): it would overwrite them. '
            'Continue that run with --resume, give this one its own '
            '--work-dir, or set '
            'default_hooks.checkpoint.allow_overwrite=True to replace them.')

    def after_train_epoch(self, runner) -> None:
        """Save every ``interval`` epochs from ``save_begin`` and, with
        ``save_last``, after the last one."""
        if self.by_epoch and (
                self.every_n_epochs(runner, self.interval, self.save_begin)
                or (self.save_last and self.is_last_train_epoch(runner))):
            runner.logger.info(
                f'Saving checkpoint at {runner.epoch + 1} epochs')
            self.write_checkpoint(
                runner, runner.epoch + 1,
                dict(epoch=runner.epoch + 1, iter=runner.iter))

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        """Save every ``interval`` iterations from ``save_begin`` and, with
        ``save_last``, after the last one."""
        if not self.by_epoch and (
                self.every_n_train_iters(runner, self.interval,
                                         self.save_begin)
                or (self.save_last and self.is_last_train_iter(runner))):
            runner.logger.info(
                f'Saving checkpoint at {runner.iter + 1} iterations')
            self.write_checkpoint(
                runner, runner.iter + 1,
                dict(epoch=runner.epoch, iter=runner.iter + 1))

    def after_val_epoch(self, runner, metrics) -> None:
        """mmengine's: the best checkpoint, where ``save_best`` asks for
        one (every rank's states gathered first)."""
        if self.save_best is not None:
            runner.call_hook(GATHER_EVENT)
        super().after_val_epoch(runner, metrics)

    def after_run(self, runner) -> None:
        if self.work_dir_lock is not None:
            self.work_dir_lock.release()
            self.work_dir_lock = None

    def write_checkpoint(self, runner, step: int, meta: dict) -> None:
        """Write the checkpoint of ``step``, then the pointer to it, then
        delete the checkpoints that fall out of ``max_keep_ckpts``.

        Args:
            runner (Runner): The runner of the training process.
            step (int): The epoch or iteration the checkpoint is named by.
            meta (dict): ``epoch`` and ``iter`` to record in it.
        """
        runner.call_hook(GATHER_EVENT)
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
