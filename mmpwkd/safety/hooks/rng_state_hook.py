"""Random states in checkpoints, so a resumed run draws the same numbers.

mmengine seeds each run once at start-up and does not save random states,
so a resumed run's augmentations differ from the uninterrupted run's. This
hook stores every rank's Python, numpy and torch states in each checkpoint
and restores them on resume.

Dataloader workers draw from their own states, which mmengine seeds from the
run's seed, rank and worker id when they start: workers that start afresh
each epoch (``persistent_workers=False``, the default of ``tools/train.py``
for training) draw the same in a resumed run as in the uninterrupted one.
Persistent workers carry their states from epoch to epoch in processes that
a checkpoint cannot capture; the hook warns before such a run starts.

An iteration-based loop resumed mid-way skips the consumed batches by
loading them (mmengine 0.10.7's ``IterBasedTrainLoop.run``), after the
states were restored: the skipped batches' augmentations would draw from
them. The hook therefore has the skip put the states back after each
skipped batch, so the first new batch draws what the uninterrupted run drew.
"""
import random
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_dist_info
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop

from mmpwkd.registry import HOOKS


def get_rng_state() -> Dict[str, Any]:
    """This process's random states."""
    state = dict(
        python=random.getstate(),
        numpy=np.random.get_state(),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: Dict[str, Any]) -> None:
    """Restore states returned by :func:`get_rng_state`."""
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])
    if 'cuda' in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state['cuda'])


class _SkipWithoutDrawing:
    """Wraps a train loop's data iterator for its first ``skip`` batches:
    each is loaded with the random states put back afterwards; then the loop
    gets its own iterator back."""

    def __init__(self, loop: IterBasedTrainLoop, skip: int) -> None:
        self._loop = loop
        self._iterator: Iterator = loop.dataloader_iterator
        self._skip = skip

    def __iter__(self) -> '_SkipWithoutDrawing':
        return self

    def __next__(self) -> Any:
        state = get_rng_state()
        batch = next(self._iterator)
        set_rng_state(state)
        self._skip -= 1
        if self._skip == 0:
            # The loop's public iterator, handed back (see before_train_epoch).
            self._loop.dataloader_iterator = self._iterator
        return batch


def _warn_about_persistent_workers(runner) -> None:
    """Persistent training workers carry their random states from epoch to
    epoch, and no checkpoint holds them: say so before the run starts."""
    loader = runner.train_dataloader
    if loader.num_workers > 0 and loader.persistent_workers:
        runner.logger.warning(
            'train_dataloader.persistent_workers=True: the '
            f'{loader.num_workers} dataloader workers keep their random '
            'states across epochs, which checkpoints do not hold, so a '
            'resumed run will draw other augmentations than the '
            'uninterrupted run. Set train_dataloader.persistent_workers='
            'False (the default of tools/train.py) for an exact resume.')


# What a checkpoint hook calls on every rank before rank 0 writes.
GATHER_EVENT = 'before_checkpoint_on_every_rank'


def _warn_without_gather(runner) -> None:
    """A distributed run whose checkpoints no hook gathers for can keep
    rank 0's states only: say so before the run starts."""
    if get_dist_info()[1] == 1 or any(
            getattr(hook, 'calls_gather_event', False)
            for hook in runner.hooks):
        return
    runner.logger.warning(
        'RNGStateHook: no checkpoint hook of this run gathers the random '
        'states of every rank before it saves (AtomicCheckpointHook does; '
        'it is default_hooks.checkpoint in configs/_base_/safety.py), so '
        'checkpoints hold rank 0\'s states only and a resume draws fresh '
        'ones.')


@HOOKS.register_module()
class RNGStateHook(Hook):
    """Save every rank's random states in checkpoints; restore on resume.

    Checkpoints are written by rank 0 alone, so in a distributed run the
    states of all ranks are gathered just before a checkpoint is written,
    when every rank is in the checkpoint hook: ``AtomicCheckpointHook``
    calls :data:`GATHER_EVENT` on every hook that has it (mmengine's
    ``Runner.call_hook`` calls any hook method by name), and rank 0 saves
    what was gathered. A single process saves its own states. A resume
    with another world size keeps the fresh seeds and logs a warning.
    """

    def __init__(self) -> None:
        self._gathered: Optional[List[Dict[str, Any]]] = None
        self._loaded: Optional[List[Dict[str, Any]]] = None
        self._restored = False

    def before_checkpoint_on_every_rank(self, runner) -> None:
        if get_dist_info()[1] > 1:
            self._gathered = all_gather_object(get_rng_state())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        # Used once: a checkpoint written without a gather (another hook's)
        # holds this rank's states, never older ones of the others.
        states, self._gathered = self._gathered or [get_rng_state()], None
        checkpoint['rng_states'] = states

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._loaded = checkpoint.get('rng_states')

    def before_train(self, runner) -> None:
        _warn_about_persistent_workers(runner)
        _warn_without_gather(runner)
        # Restored here rather than on load: a run that resumes has made
        # progress, one that loads weights to start afresh has not.
        states, self._loaded = self._loaded, None
        if states is None or (runner.iter == 0 and runner.epoch == 0):
            return
        rank, world_size = get_dist_info()
        if len(states) != world_size:
            runner.logger.warning(
                f'The checkpoint holds random states of {len(states)} '
                f'processes, this run has {world_size}: random states are '
                'not restored, augmentations will differ from the '
                'interrupted run.')
            return
        set_rng_state(states[rank])
        self._restored = True
        runner.logger.info('Restored the random states of the checkpoint.')

    def before_train_epoch(self, runner) -> None:
        loop = runner.train_loop
        # Called by IterBasedTrainLoop.run right before it skips the
        # consumed batches.
        if (self._restored and isinstance(loop, IterBasedTrainLoop)
                and loop.iter > 0):
            # mmengine 0.10.7's IterBasedTrainLoop.run skips the consumed
            # batches by loading them after the random states were restored,
            # so the skip would draw from them; it has no public option to
            # skip otherwise, so the skip goes through this wrapper.
            loop.dataloader_iterator = _SkipWithoutDrawing(loop, loop.iter)
        self._restored = False
