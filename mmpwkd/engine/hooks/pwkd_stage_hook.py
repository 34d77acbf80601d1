"""The stage schedule of Partial to Whole Knowledge Distillation.

Stage k distils from the k-th narrowest teacher sub-network; the last stage
from the whole teacher. Stages may instead name teacher checkpoints (the
teacher as it was at points of its own training, route-constrained
distillation); the same schedule, LR restarts, resume guards and logs
apply. The hook owns the run's :class:`StageSchedule`:
it resolves it against the train loop, hands it to the LR scheduler,
records it in checkpoints and refuses a resume into another one; where a
stage starts it sets the teacher width through
:meth:`PWKDDistiller.set_teacher_width` (the model never reads the epoch).
An iteration inside a stage compares its progress with the stage's end and
nothing else (``gradual`` mode draws a width at every iteration).
"""
import os.path as osp
from typing import Any, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import IterBasedTrainLoop

from mmpwkd.registry import HOOKS
from mmpwkd.utils.arg_checks import check_bool

from ..schedulers import follow_stages
from ..stages import StageSchedule
from .bn_settling import warn_short_stages

DATA_BATCH = Optional[Any]
OWNER = 'PWKDStageHook'


@HOOKS.register_module()
class PWKDStageHook(Hook):
    """Switch the teacher's width at each stage of a PWKD schedule.

    Args:
        stages (Sequence[dict]): In training order, ``dict(width=w,
            epochs=n)`` (epoch-based loops), ``dict(width=w, iters=n)``, or
            ``dict(width=w, ratio=r)`` (relative lengths, scaled to the
            run's iterations). Instead of ``width`` every stage may name a
            ``checkpoint`` of the teacher (a local file or URL mmengine
            reads): at the stage start its weights are loaded into the
            teacher (safely, strictly, refusing non-finite weights), which
            runs at its widest width. Widths strictly ascending (unless
            ``any_order``) and available in the teacher; the last 1.0
            unless ``allow_partial_end``; epochs or iters sum to the train
            loop's ``max_epochs``/``max_iters``. ``StageCosineLR`` restarts
            the LR at the stage starts; another scheduler that restarts
            (``CosineRestartLR``) must restart there, or the run stops
            before the first iteration.
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
            other stages or another run length and continue with the
            stages and length given here (widths and LR restarts both
            follow them). Without it such a resume stops, naming both
            schedules. Defaults to False.
    """

    priority = 'HIGH'  # before the iteration's other hooks see the model

    def __init__(self,
                 stages: Sequence[dict],
                 allow_partial_end: bool = False,
                 any_order: bool = False,
                 gradual: bool = False,
                 allow_schedule_change: bool = False) -> None:
        self.schedule = StageSchedule(
            stages,
            gradual=check_bool(OWNER, 'gradual', gradual),
            allow_partial_end=check_bool(OWNER, 'allow_partial_end',
                                         allow_partial_end),
            any_order=check_bool(OWNER, 'any_order', any_order),
            owner=OWNER)
        for index, path in enumerate(self.schedule.checkpoints or ()):
            if '://' not in path and not osp.isfile(path):
                raise ValueError(f'{OWNER}: stages[{index}].checkpoint='
                                 f'{path!r}: no such file')
        self.allow_schedule_change = check_bool(OWNER,
                                                'allow_schedule_change',
                                                allow_schedule_change)
        self._saved_schedule: Optional[dict] = None
        self._stage: Optional[int] = None
        self._width: Optional[float] = None
        # Where the current stage ends, in the schedule's unit; until then
        # an iteration needs no lookup (gradual draws one each iteration).
        self._stage_end = 0
        self._by_epoch = self.schedule.by_epoch
        self._seed = 0
        self._widest_checked = False

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def _progress(self, runner) -> int:
        """Finished epochs or iterations, in the schedule's unit."""
        return runner.epoch if self._by_epoch else runner.iter

    def before_train(self, runner) -> None:
        """Fit the schedule to the run, check a resume against the
        checkpoint's schedule, hand it to the LR schedulers, then enter
        the current stage."""
        loop = runner.train_loop
        if self.schedule.by_epoch and isinstance(loop, IterBasedTrainLoop):
            raise ValueError(f'{OWNER}: stages are given in epochs but the '
                             'train loop is iteration-based; use iters')
        self.schedule.resolve(
            loop.max_epochs if self.schedule.by_epoch else loop.max_iters)
        if runner.iter > 0 or runner.epoch > 0:  # a resume, not load_from
            self.schedule.check_resume(self._saved_schedule,
                                       self.allow_schedule_change)
        follow_stages(self.schedule, runner)
        model = self._model(runner)
        if not hasattr(model, 'set_teacher_width'):
            raise TypeError(f'{OWNER} needs a model with set_teacher_width '
                            f'(PWKDDistiller), got {type(model).__name__}')
        missing = sorted(set(self.schedule.widths) - set(model.teacher_widths))
        if missing:
            raise ValueError(
                f'{OWNER}: stage widths {missing} are not among the '
                f"teacher's widths {list(model.teacher_widths)}")
        warn_short_stages(self.schedule, model, loop.max_iters, runner.logger)
        self._seed = int(getattr(runner, 'seed', None) or 0)
        self._stage = self._width = None
        self._widest_checked = False
        self._enter(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['pwkd_stages'] = \
            self.schedule.record()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._saved_schedule = checkpoint.get('meta', {}).get('pwkd_stages')

    def _enter(self, runner) -> None:
        """Set the teacher width of the current epoch/iteration."""
        schedule = self.schedule
        stage = schedule.stage_at(self._progress(runner))
        width = schedule.widths[stage]
        if schedule.gradual:
            width = schedule.gradual_width(
                runner.iter, runner.train_loop.max_iters, self._seed)
        if width != self._width:
            self._width = width
            self._model(runner).set_teacher_width(width)
        self._stage_end = 0 if schedule.gradual else schedule.ends[stage]
        if stage != self._stage:
            self._stage = stage
            if schedule.checkpoints is not None:
                self._load_teacher(runner, stage)
            how = ' (gradual)' if schedule.gradual else ''
            runner.logger.info(
                f'PWKD stage {stage + 1}/{len(schedule.widths)}{how}: '
                f'{schedule.describe(stage)} from '
                f'{"epoch" if schedule.by_epoch else "iter"} '
                f'{self._progress(runner) + 1} to {schedule.ends[stage]}')

    def _load_teacher(self, runner, stage: int) -> None:
        path = self.schedule.checkpoints[stage]
        try:
            self._model(runner).load_teacher(path)
        except ValueError as error:
            raise ValueError(
                f'{OWNER}: stages[{stage}].checkpoint: {error}') from error

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        if self._progress(runner) >= self._stage_end:
            self._enter(runner)
        if not self._widest_checked and data_batch is not None:
            self._widest_checked = True
            self._check_widest(runner, data_batch)
        runner.message_hub.update_scalar('train/pwkd_stage', self._stage + 1)

    def _check_widest(self, runner, data_batch: dict) -> None:
        """Run the distill terms once at the widest stage width, so that a
        connector too narrow for a later stage fails before the first
        update. Here rather than in the model's ``train_step``, which a
        DDP wrapper bypasses."""
        widest = max(self.schedule.widths)
        if widest == self._width:
            return
        model = self._model(runner)
        data = model.data_preprocessor(data_batch, False)
        model.check_teacher_width(data['inputs'], data['data_samples'],
                                  widest)
