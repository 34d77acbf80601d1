"""RNGStateHook says before a run starts when its dataloader workers keep
random states that no checkpoint can hold."""
import logging
from types import SimpleNamespace

import pytest

from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

register_all_modules()


def _runner(workers: int, persistent: bool) -> SimpleNamespace:
    return SimpleNamespace(
        train_dataloader=SimpleNamespace(
            num_workers=workers, persistent_workers=persistent),
        logger=logging.getLogger('test_rng_state_hook'),
        iter=0,
        epoch=0)


@pytest.mark.parametrize('workers, persistent, warned',
                         [(2, True, True), (2, False, False),
                          (0, False, False)])
def test_persistent_training_workers_are_named_before_the_run(
        caplog, workers, persistent, warned):
    hook = HOOKS.build(dict(type='RNGStateHook'))
    with caplog.at_level(logging.WARNING, logger='test_rng_state_hook'):
        hook.before_train(_runner(workers, persistent))
    messages = [record.getMessage() for record in caplog.records]
    if warned:
        assert messages == [
            'train_dataloader.persistent_workers=True: the 2 dataloader '
            'workers keep their random states across epochs, which '
            'checkpoints do not hold, so a resumed run will draw other '
            'augmentations than the uninterrupted run. Set '
            'train_dataloader.persistent_workers=False (the default of '
            'tools/train.py) for an exact resume.'
        ]
    else:
        assert messages == []


@pytest.mark.parametrize('checkpoint_hook, warned', [
    (dict(type='CheckpointHook'), True),
    (dict(type='AtomicCheckpointHook'), False),
])
def test_a_distributed_run_says_when_no_hook_gathers_the_states(
        caplog, monkeypatch, checkpoint_hook, warned):
    """Rank 0 writes checkpoints alone: without a checkpoint hook that has
    every rank gather first, only its states are kept, and the run says so
    before it starts."""
    from mmpwkd.safety.hooks import rng_state_hook
    monkeypatch.setattr(rng_state_hook, 'get_dist_info', lambda: (0, 2))
    runner = _runner(0, False)
    runner.hooks = [HOOKS.build(dict(type='RNGStateHook')),
                    HOOKS.build(checkpoint_hook)]
    with caplog.at_level(logging.WARNING, logger='test_rng_state_hook'):
        runner.hooks[0].before_train(runner)
    said = any('gathers the random states of every rank' in r.getMessage()
               for r in caplog.records)
    assert said == warned
