"""StageCosineLR: restarts taken from the stage schedule, its LR shapes,
its checks, resume and epoch-to-iteration conversion."""
import math

import pytest
import torch

from mmpwkd.engine.stages import StageSchedule, stage_ends
from mmpwkd.registry import PARAM_SCHEDULERS
from mmpwkd.utils import register_all_modules

register_all_modules()

FOUR = [dict(width=w, ratio=1) for w in (0.25, 0.5, 0.75, 1.0)]


def schedule(stages=FOUR, total=40) -> StageSchedule:
    """A stage schedule resolved to a run of ``total`` iterations."""
    resolved = StageSchedule(stages, any_order=True)
    resolved.resolve(total)
    return resolved


def build(end=40, stages=FOUR, **cfg):
    """The scheduler, given the stages as PWKDStageHook gives them."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='StageCosineLR', optimizer=optimizer, by_epoch=False,
             end=end, **cfg))
    scheduler.follow_stages(schedule(stages))
    return optimizer, scheduler


def lrs(optimizer, scheduler, steps=40):
    values = []
    for _ in range(steps):
        values.append(optimizer.param_groups[0]['lr'])
        scheduler.step()
    return values


def test_restarts_at_every_stage_start():
    values = lrs(*build())
    assert [values[i] for i in (0, 10, 20, 30)] == [0.1] * 4
    for start in (0, 10, 20, 30):
        stage = values[start:start + 10]
        assert stage == sorted(stage, reverse=True)
        assert stage[5] == pytest.approx(0.05)


def test_without_restart_it_is_one_cosine():
    values = lrs(*build(restart=False))
    expected = [0.05 * (1 + math.cos(math.pi * i / 40)) for i in range(40)]
    assert values == pytest.approx(expected)


def test_damped_restarts_and_warmup():
    values = lrs(*build(restart_decay=0.5, restart_warmup=0.2))
    assert values[0] == 0.1
    # Stage 2 peaks at 0.05 after a 2-step warm-up: 1/3, 2/3, then 1.
    assert values[10:13] == pytest.approx([0.05 / 3, 0.1 / 3, 0.05])
    assert values[22] == pytest.approx(0.025)
    assert values[32] == pytest.approx(0.0125)


def test_restarts_follow_the_stage_ratios():
    stages = [dict(width=w, ratio=r) for w, r in zip((0.5, 1.0), (1, 3))]
    _, scheduler = build(end=100, begin=20, stages=stages)
    assert scheduler.ends == [20, 80]
    assert build(restart=False)[1].ends == [40]


def test_without_stages_it_refuses_to_step_past_the_first():
    """A restarting StageCosineLR in a run without PWKDStageHook stops
    instead of running one stage-less cosine."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='StageCosineLR', optimizer=optimizer, by_epoch=False,
             end=40))
    assert optimizer.param_groups[0]['lr'] == 0.1
    with pytest.raises(RuntimeError, match='no PWKDStageHook gave it'):
        scheduler.step()


@pytest.mark.parametrize('cfg, match', [
    (dict(restart_decay=0), r'restart_decay must be a number in \(0, 1\]'),
    (dict(restart_warmup=1.0), r'restart_warmup must be a number in'),
    (dict(restart='yes'), 'restart must be a bool'),
])
def test_bad_arguments_are_refused_at_build(cfg, match):
    with pytest.raises(ValueError, match=match):
        build(**cfg)


def test_stages_are_given_by_the_stage_hook_alone():
    """A stage list of its own could drift from the hook's: refused."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(TypeError, match='stages'):
        PARAM_SCHEDULERS.build(dict(type='StageCosineLR', optimizer=optimizer,
                                    end=4, stages=FOUR))


def test_needs_an_end():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    from mmpwkd.engine import StageCosineLR
    with pytest.raises(ValueError, match='end is not set'):
        StageCosineLR(optimizer)


def test_resumes_from_its_state_dict():
    optimizer, scheduler = build(restart_warmup=0.1)
    whole = lrs(optimizer, scheduler)
    optimizer, scheduler = build(restart_warmup=0.1)
    first = lrs(optimizer, scheduler, 17)
    state = scheduler.state_dict()
    optimizer2, resumed = build(restart_warmup=0.1)
    resumed.load_state_dict(state)
    resumed.follow_stages(schedule())
    optimizer2.param_groups[0]['lr'] = optimizer.param_groups[0]['lr']
    assert first + lrs(optimizer2, resumed, 23) == pytest.approx(whole)


def test_epoch_config_converts_to_iterations():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = PARAM_SCHEDULERS.build(
        dict(type='StageCosineLR', optimizer=optimizer, end=4,
             convert_to_iter_based=True, epoch_length=5))
    scheduler.follow_stages(schedule(total=4))
    assert scheduler.ends == [5, 10, 15, 20]
    assert not scheduler.by_epoch


def test_stage_ends_scale_and_refuse_empty_stages():
    assert stage_ends([1, 1, 1, 7], 100, 'x') == [10, 20, 30, 100]
    assert stage_ends([2, 2, 4], 8, 'x') == [2, 4, 8]
    with pytest.raises(ValueError, match='without a step'):
        stage_ends([1, 1, 100], 10, 'owner')
    assert StageSchedule(FOUR).unit == 'ratio'
