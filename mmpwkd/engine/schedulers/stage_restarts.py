"""The LR schedulers of a run, fitted to (or checked against) its stages.

:class:`StageCosineLR` takes the stages from the stage hook; an LR
scheduler that restarts on its own periods (mmengine's
``CosineRestartLR``) must restart where the stages start, or the LR
restarts mid-stage and a stage runs at a frozen LR.
"""
from typing import List

import numpy as np
from mmengine.optim.scheduler import CosineRestartParamScheduler

from ..stages import StageSchedule
from .stage_cosine_lr import StageCosineLR

__all__ = ['follow_stages']


def _schedulers(runner) -> list:
    schedulers = runner.param_schedulers or []
    if isinstance(schedulers, dict):
        return [s for group in schedulers.values() for s in group]
    return list(schedulers)


def _restart_points(scheduler: CosineRestartParamScheduler) -> List[int]:
    """Steps where the scheduler restarts, then where it ends."""
    return [scheduler.begin + step
            for step in [0, *scheduler.cumulative_periods]]


def follow_stages(schedule: StageSchedule, runner) -> None:
    """Hand ``schedule`` (resolved) to every :class:`StageCosineLR` of the
    runner and check that other restarting schedulers restart with it.

    Raises:
        ValueError: Naming the scheduler's restarts and the stage starts.
    """
    stages = [end / schedule.total for end in [0, *schedule.ends]]
    for scheduler in _schedulers(runner):
        if isinstance(scheduler, StageCosineLR):
            scheduler.follow_stages(schedule)
            continue
        if not isinstance(scheduler, CosineRestartParamScheduler):
            continue
        points = _restart_points(scheduler)
        run = runner.max_epochs if scheduler.by_epoch else runner.max_iters
        fractions = [p / run for p in points]
        if len(fractions) != len(stages) or not np.allclose(
                fractions, stages, atol=1e-9):
            raise ValueError(
                f'{schedule.owner}: {type(scheduler).__name__} restarts the '
                f'LR at {points[:-1]} and ends at {points[-1]} of {run} '
                f'{"epochs" if scheduler.by_epoch else "iters"}, but the '
                f'stages {schedule.lengths} ({schedule.unit}) start at '
                f'{schedule.starts} of {schedule.total}: the LR would '
                'restart mid-stage or stop before the run ends. Use '
                "type='StageCosineLR', which restarts with the stages.")
