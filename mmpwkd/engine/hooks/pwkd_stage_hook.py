"""The stage schedule of Partial to Whole Knowledge Distillation.

Stage k distils from the k-th narrowest teacher sub-network; the last stage
from the whole teacher. The hook owns the schedule and sets the teacher width
through :meth:`PWKDDistiller.set_teacher_width`; the model never reads the
epoch. On resume it replays the schedule up to the restored epoch/iteration.
"""
import bisect
from typing import Any, List, Optional, Sequence, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop

from mmpwkd.registry import HOOKS

DATA_BATCH = Optional[Any]


def _check_stages(stages: Sequence[dict],
                  allow_partial_end: bool,
                  any_order: bool) -> Tuple[List[float], List[int], str]:
    """Widths, lengths and unit ('epochs' or 'iters') of valid stages."""
    for name, flag in (('allow_partial_end', allow_partial_end),
                       ('any_order', any_order)):
        if not isinstance(flag, bool):
            raise ValueError(f'PWKDStageHook: {name} must be a bool, got '
                             f'{flag!r}')
    if not isinstance(stages, (list, tuple)) or not stages:
        raise ValueError('PWKDStageHook: stages must be a non-empty list of '
                         f'dict(width=..., epochs=...|iters=...), got '
                         f'{stages!r}')
    units = {key for stage in stages for key in ('epochs', 'iters')
             if isinstance(stage, dict) and key in stage}
    if len(units) != 1:
        raise ValueError('PWKDStageHook: every stage needs the same length '
                         f'key, epochs or iters; got {list(stages)!r}')
    unit = units.pop()
    widths, lengths = [], []
    for index, stage in enumerate(stages):
        if set(stage) != {'width', unit}:
            raise ValueError(f'PWKDStageHook: stages[{index}] must have '
                             f'exactly the keys width and {unit}, got '
                             f'{stage!r}')
        width, length = stage['width'], stage[unit]
        if isinstance(width, bool) or not isinstance(
                width, (int, float)) or not 0 < width <= 1:
            raise ValueError(f'PWKDStageHook: stages[{index}].width must be '
                             f'in (0, 1], got {width!r}')
        if isinstance(length, bool) or not isinstance(length,
                                                      int) or length < 1:
            raise ValueError(f'PWKDStageHook: stages[{index}].{unit} must '
                             f'be a positive int, got {length!r}')
        widths.append(float(width))
        lengths.append(length)
    if not any_order and any(b <= a for a, b in zip(widths, widths[1:])):
        raise ValueError('PWKDStageHook: stage widths must be strictly '
                         f'ascending (partial to whole), got {widths}; set '
                         'any_order=True for another order')
    if widths[-1] != 1.0 and not allow_partial_end:
        raise ValueError('PWKDStageHook: the last stage must use the whole '
                         f'teacher (width 1.0), got {widths[-1]}; set '
                         'allow_partial_end=True to end narrower')
    return widths, lengths, unit


@HOOKS.register_module()
class PWKDStageHook(Hook):
    """Switch the teacher's width at each stage of a PWKD schedule.

    Args:
        stages (Sequence[dict]): ``dict(width=w, epochs=n)`` (epoch-based
            loops) or ``dict(width=w, iters=n)`` (iteration-based loops), in
            training order. Widths strictly ascending (unless
            ``any_order``) and available in the teacher; the last 1.0
            unless ``allow_partial_end``; the lengths sum to the train
            loop's ``max_epochs``/``max_iters``.
        allow_partial_end (bool): Allow a last stage narrower than 1.0 (an
            ablation). Defaults to False.
        any_order (bool): Allow widths in any order, repeats included
            (ablations: whole to partial, the whole teacher with LR
            restarts). Defaults to False.
    """

    priority = 'HIGH'  # before the iteration's other hooks see the model

    def __init__(self,
                 stages: Sequence[dict],
                 allow_partial_end: bool = False,
                 any_order: bool = False) -> None:
        self.widths, self.lengths, self.unit = _check_stages(
            stages, allow_partial_end, any_order)
        self._ends = [sum(self.lengths[:k + 1])
                      for k in range(len(self.lengths))]
        self._stage: Optional[int] = None

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _progress(self, runner) -> int:
        """Finished epochs or iterations, in the unit of the stages."""
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
        by_epoch = epoch_loop and self.unit == 'epochs'
        total = loop.max_epochs if by_epoch else loop.max_iters
        if self.unit == 'epochs' and not epoch_loop:
            raise ValueError('PWKDStageHook: stages are given in epochs but '
                             'the train loop is iteration-based; use iters')
        if self._ends[-1] != total:
            key = 'max_epochs' if by_epoch else 'max_iters'
            raise ValueError(
                f'PWKDStageHook: the stage {self.unit} {self.lengths} sum to '
                f'{self._ends[-1]}, but train_cfg.{key} is {total}')
        model = self._model(runner)
        if not hasattr(model, 'set_teacher_width'):
            raise TypeError('PWKDStageHook needs a model with '
                            'set_teacher_width (PWKDDistiller), got '
                            f'{type(model).__name__}')
        missing = sorted(set(self.widths) - set(model.teacher_widths))
        if missing:
            raise ValueError(
                f'PWKDStageHook: stage widths {missing} are not among the '
                f"teacher's widths {list(model.teacher_widths)}")
        self._stage = None
        self._enter(runner, self.stage_at(self._progress(runner)))

    def _enter(self, runner, stage: int) -> None:
        if stage == self._stage:
            return
        self._stage = stage
        width = self.widths[stage]
        self._model(runner).set_teacher_width(width)
        runner.logger.info(
            f'PWKD stage {stage + 1}/{len(self.widths)}: teacher width '
            f'{width} from {self.unit[:-1]} {self._progress(runner) + 1} '
            f'to {self._ends[stage]}')

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        self._enter(runner, self.stage_at(self._progress(runner)))
        runner.message_hub.update_scalar('train/pwkd_stage', self._stage + 1)
        runner.message_hub.update_scalar('train/teacher_width',
                                         self.widths[self._stage])
