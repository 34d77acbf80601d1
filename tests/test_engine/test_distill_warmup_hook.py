"""DistillWarmupHook: the scale ramps once over the run's first share,
from the iteration (so a resumed run continues the ramp)."""
import logging
from types import SimpleNamespace

import pytest
from mmengine.logging import MessageHub

from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

register_all_modules()


class FakeDistiller:

    def __init__(self) -> None:
        self.scales = []

    def set_distill_scale(self, scale: float) -> None:
        self.scales.append(scale)


def runner(model, iteration=0):
    return SimpleNamespace(
        model=model, iter=iteration, max_iters=100,
        logger=logging.getLogger('test'),
        message_hub=MessageHub.get_instance('test_distill_warmup'))


def test_ramps_linearly_then_stays_at_one():
    hook = HOOKS.build(dict(type='DistillWarmupHook', ratio=0.1))
    model = FakeDistiller()
    fake = runner(model)
    hook.before_train(fake)
    for it in range(20):
        fake.iter = it
        hook.before_train_iter(fake, it)
    assert model.scales[:10] == pytest.approx([k / 10 for k in range(1, 11)])
    assert model.scales[10:] == [1.0] * 10


def test_resume_continues_the_ramp():
    hook = HOOKS.build(dict(type='DistillWarmupHook', ratio=0.1))
    model = FakeDistiller()
    fake = runner(model, iteration=4)
    hook.before_train(fake)
    hook.before_train_iter(fake, 0)
    assert model.scales == [0.5]


@pytest.mark.parametrize('ratio', [0, 1.5, True, '0.1'])
def test_bad_ratio_is_refused(ratio):
    with pytest.raises(ValueError, match=r'ratio must be a number in \(0, 1'):
        HOOKS.build(dict(type='DistillWarmupHook', ratio=ratio))


def test_needs_a_distiller():
    hook = HOOKS.build(dict(type='DistillWarmupHook'))
    with pytest.raises(TypeError, match='set_distill_scale'):
        hook.before_train(runner(object()))
