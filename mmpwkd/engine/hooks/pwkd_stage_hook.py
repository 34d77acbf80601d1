"""The stage schedule of Partial to Whole Knowledge Distillation.

Stage k distils from the k-th narrowest teacher sub-network; the last stage
from the whole teacher. The hook owns the schedule and sets the teacher width
through :meth:`PWKDDistiller.set_teacher_width`; the model never reads the
epoch. On resume it replays the schedule up to the restored epoch/iteration.
On the first training batch it also runs the distill terms once at the
widest stage width, so that a connector too narrow for the last stage fails
before the first update instead of stages later.
"""
import bisect
from typing import Any, List, Optional, Sequence

import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim.scheduler import CosineRestartParamScheduler
from mmengine.runner import IterBasedTrainLoop

from mmpwkd.registry import HOOKS
from mmpwkd.utils.arg_checks import check_bool

from ..stages import parse_stages, stage_ends

DATA_BATCH = Optional[Any]
OWNER = 'PWKDStageHook'


def _check_order(widths: List[float], allow_partial_end: bool,
                 any_order: bool) -> None:
    check_bool(OWNER, 'allow_partial_end', allow_partial_end)
    check_bool(OWNER, 'any_order', any_order)
    if not any_order and any(b <= a for a, b in zip(widths, widths[1:])):
        raise ValueError(f'{OWNER}: stage widths must be strictly ascending '
                         f'(partial to whole), got {widths}; set '
                         'any_order=True for another order')
    if widths[-1] != 1.0 and not allow_partial_end:
        raise ValueError(f'{OWNER}: the last stage must use the whole '
                         f'teacher (width 1.0), got {widths[-1]}; set '
                         'allow_partial_end=True to end narrower')


def _restart_points(scheduler) -> Optional[List[int]]:
    """Steps where an LR scheduler restarts, then where it ends (its own
    unit); None for schedulers that do not restart."""
    if isinstance(scheduler, CosineRestartParamScheduler):
        return [scheduler.begin + step
                for step in [0, *scheduler.cumulative_periods]]
    if hasattr(scheduler, 'restart_points'):
        return scheduler.restart_points()
    return None


def _schedulers(runner) -> list:
    schedulers = runner.param_schedulers or []
    if isinstance(schedulers, dict):
        return [s for group in schedulers.values() for s in group]
    return list(schedulers)


@HOOKS.register_module()
class PWKDStageHook(Hook):
    """Switch the teacher's width at each stage of a PWKD schedule.

    Args:
        stages (Sequence[dict]): In training order, ``dict(width=w,
            epochs=n)`` (epoch-based loops), ``dict(width=w, iters=n)``, or
            ``dict(width=w, ratio=r)`` (relative lengths, scaled to the
            run's iterations). Widths strictly ascending (unless
            ``any_order``) and available in the teacher; the last 1.0
            unless ``allow_partial_end``; epochs or iters sum to the train
            loop's ``max_epochs``/``max_iters``. An LR scheduler that
            restarts (``StageCosineLR``, ``CosineRestartLR``) must restart
            where the stages start; a mismatch stops the run before the
            first iteration.
        allow_partial_end (bool): Allow a last stage narrower than 1.0 (an
            ablation). Defaults to False.
        any_order (bool): Allow widths in any order, repeats included
            (ablations: whole to partial, the whole teacher with LR
            restarts). Defaults to False.
        gradual (bool): No hard boundaries: each iteration draws the
            teacher width between two consecutive stages, the chance of the
            next one rising linearly from the middle of a stage to the
            middle of the next (before the first middle the first width,
            after the last middle the last). Draws depend only on the seed
            and the iteration, so a resumed run draws the same.
            Defaults to False.
        allow_schedule_change (bool): Resume a checkpoint written with
            other stages and continue with the stages given here. Without
            it such a resume stops, naming both schedules.
            Defaults to False.
    """

    priority = 'HIGH'  # before the iteration's other hooks see the model

    def __init__(self,
                 stages: Sequence[dict],
                 allow_partial_end: bool = False,
                 any_order: bool = False,
                 gradual: bool = False,
                 allow_schedule_change: bool = False) -> None:
        self.widths, self.lengths, self.unit = parse_stages(stages, OWNER)
        _check_order(self.widths, allow_partial_end, any_order)
        self.gradual = check_bool(OWNER, 'gradual', gradual)
        self.allow_schedule_change = check_bool(OWNER,
                                                'allow_schedule_change',
                                                allow_schedule_change)
        self._saved_schedule: Optional[dict] = None
        # Stage ends in the unit of progress (epochs, else iterations);
        # ratio stages are scaled to the run in before_train.
        self._ends: List[int] = []
        if self.unit != 'ratio':
            self._ends = [int(sum(self.lengths[:k + 1]))
                          for k in range(len(self.lengths))]
        self._stage: Optional[int] = None
        self._width: Optional[float] = None
        self._seed = 0
        self._widest_checked = False

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _progress(self, runner) -> int:
        """Finished epochs or iterations, in the unit of ``_ends``."""
        return runner.epoch if self.unit == 'epochs' else runner.iter

    def stage_at(self, progress: int) -> int:
        """Index of the stage that the next epoch/iteration belongs to."""
        return min(bisect.bisect_right(self._ends, progress),
                   len(self._ends) - 1)

    def before_train(self, runner) -> None:
        """Validate the schedule against the run, then enter its stage."""
        loop = runner.train_loop
        # IterBasedTrainLoop has a max_epochs too (always 1).
        epoch_loop = hasattr(loop, 'max_epochs') and not isinstance(
            loop, IterBasedTrainLoop)
        if self.unit == 'epochs' and not epoch_loop:
            raise ValueError(f'{OWNER}: stages are given in epochs but the '
                             'train loop is iteration-based; use iters')
        by_epoch = self.unit == 'epochs'
        total = loop.max_epochs if by_epoch else loop.max_iters
        if self.unit == 'ratio':
            self._ends = stage_ends(self.lengths, total, OWNER)
        if self._ends[-1] != total:
            key = 'max_epochs' if by_epoch else 'max_iters'
            raise ValueError(
                f'{OWNER}: the stage {self.unit} {self.lengths} sum to '
                f'{self._ends[-1]}, but train_cfg.{key} is {total}')
        self._check_lr_restarts(runner, total)
        self._check_resumed_schedule(runner)
        model = self._model(runner)
        if not hasattr(model, 'set_teacher_width'):
            raise TypeError(f'{OWNER} needs a model with set_teacher_width '
                            f'(PWKDDistiller), got {type(model).__name__}')
        missing = sorted(set(self.widths) - set(model.teacher_widths))
        if missing:
            raise ValueError(
                f'{OWNER}: stage widths {missing} are not among the '
                f"teacher's widths {list(model.teacher_widths)}")
        self._seed = int(getattr(runner, 'seed', None) or 0)
        self._stage = self._width = None
        self._widest_checked = False
        self._enter(runner, self.stage_at(self._progress(runner)))

    def _check_lr_restarts(self, runner, total: int) -> None:
        """An LR schedule that restarts must restart where stages start, or
        the LR restarts mid-stage and a stage runs at a frozen LR."""
        stages = [end / total for end in [0, *self._ends]]
        for scheduler in _schedulers(runner):
            points = _restart_points(scheduler)
            if points is None:
                continue
            run = runner.max_epochs if scheduler.by_epoch else \
                runner.max_iters
            fractions = [p / run for p in points]
            if len(fractions) != len(stages) or not np.allclose(
                    fractions, stages, atol=1e-9):
                raise ValueError(
                    f'{OWNER}: {type(scheduler).__name__} restarts the LR '
                    f'at {points[:-1]} and ends at {points[-1]} of {run} '
                    f'{"epochs" if scheduler.by_epoch else "iters"}, but the '
                    f'stages {self.lengths} ({self.unit}) start at '
                    f'{[0, *self._ends[:-1]]} of {total}: the LR would '
                    'restart mid-stage or stop before the run ends. Give '
                    "the same stage list to the scheduler (type='"
                    "StageCosineLR', stages=stages).")

    @property
    def schedule(self) -> dict:
        """The schedule as checkpoints record it."""
        return dict(widths=list(self.widths), lengths=list(self.lengths),
                    unit=self.unit, gradual=self.gradual)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['pwkd_stages'] = self.schedule

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._saved_schedule = checkpoint.get('meta', {}).get('pwkd_stages')

    def _check_resumed_schedule(self, runner) -> None:
        """A resumed run (progress restored) must keep its stages: with
        other stages the widths would follow the new ones and a restored
        LR schedule the old ones."""
        saved = self._saved_schedule
        resumed = runner.iter > 0 or runner.epoch > 0
        if (saved is None or not resumed or saved == self.schedule
                or self.allow_schedule_change):
            return
        raise ValueError(
            f'{OWNER}: the checkpoint being resumed was trained with stages '
            f'{saved}, but the config gives {self.schedule}. Resume with the '
            'stages it was trained with, or set allow_schedule_change=True '
            'to continue with the new ones.')

    def _width_at(self, iteration: int, total: int) -> float:
        """The gradual curriculum's draw for ``iteration``."""
        starts = [0, *self._ends[:-1]]
        middles = [(s + e) / 2 / self._ends[-1] for s, e in
                   zip(starts, self._ends)]
        position = (iteration + 0.5) / total
        k = bisect.bisect_right(middles, position) - 1
        if k < 0:
            return self.widths[0]
        if k >= len(middles) - 1:
            return self.widths[-1]
        chance = (position - middles[k]) / (middles[k + 1] - middles[k])
        draw = np.random.default_rng([self._seed, iteration]).random()
        return self.widths[k + 1] if draw < chance else self.widths[k]

    def _enter(self, runner, stage: int) -> None:
        width = self.widths[stage]
        if self.gradual:
            width = self._width_at(runner.iter, runner.train_loop.max_iters)
        if width != self._width:
            self._width = width
            self._model(runner).set_teacher_width(width)
        if stage != self._stage:
            self._stage = stage
            how = ' (gradual)' if self.gradual else ''
            runner.logger.info(
                f'PWKD stage {stage + 1}/{len(self.widths)}{how}: teacher '
                f'width {self.widths[stage]} from '
                f'{"epoch" if self.unit == "epochs" else "iter"} '
                f'{self._progress(runner) + 1} to {self._ends[stage]}')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        self._enter(runner, self.stage_at(self._progress(runner)))
        if not self._widest_checked and data_batch is not None:
            self._check_widest(runner, data_batch)
        runner.message_hub.update_scalar('train/pwkd_stage', self._stage + 1)
        runner.message_hub.update_scalar('train/teacher_width', self._width)

    def _check_widest(self, runner, data_batch: dict) -> None:
        """Run the distill terms once at the widest stage width."""
        self._widest_checked = True
        widest = max(self.widths)
        if widest == self._width:
            return
        model = self._model(runner)
        data = model.data_preprocessor(data_batch, False)
        model.check_teacher_width(data['inputs'], data['data_samples'],
                                  widest)
