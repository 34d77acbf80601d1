"""A cosine LR schedule that restarts with the PWKD stages.

PWKD restarts the learning rate at each stage (a cyclic schedule). The
scheduler is given no stage list: :class:`PWKDStageHook`, which owns the
schedule, hands it over at ``before_train`` (:meth:`follow_stages`), after
a resume too, so the restarts fall on the stage starts of this run, however
long it is. Its options cover
the shapes our accuracy benchmark compares: full restarts, none (one
cosine; only the teacher changes), damped restarts, and a short linear
warm-up after each restart.
"""
import math
from typing import List, Optional

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from mmpwkd.registry import PARAM_SCHEDULERS
from mmpwkd.utils.arg_checks import check_bool, check_fraction

from ..stages import StageSchedule

__all__ = ['StageCosineLR']

OWNER = 'StageCosineLR'


@PARAM_SCHEDULERS.register_module()
class StageCosineLR(LRSchedulerMixin, _ParamScheduler):
    """Cosine annealing within each PWKD stage, restarting at each stage.

    Stage ``k`` (0-based) starts at ``base_lr * restart_decay ** k``
    (after a linear warm-up over the first ``restart_warmup`` of the stage,
    for ``k >= 1``) and anneals to ``eta_min`` by the stage's end. With
    ``restart=False`` it is one cosine over the whole run. With restarts
    it needs a :class:`PWKDStageHook` in the run: stepping past the first
    step without its stages is an error.

    Args:
        optimizer: Wrapped optimizer (given by the runner).
        restart (bool): Restart at each stage. Defaults to True.
        restart_decay (float): Peak of stage ``k`` relative to the first,
            ``restart_decay ** k``, in (0, 1]. Defaults to 1.0.
        restart_warmup (float): Share of each restarted stage spent rising
            linearly from ``eta_min`` to its peak, in [0, 1).
            Defaults to 0.0.
        eta_min (float): The lowest LR. Defaults to 0.0.
        begin (int): First step. Defaults to 0.
        end (int): Last step, exclusive; the runner sets it to the end of
            training when omitted. Defaults to INF.
        last_step (int): Defaults to -1.
        by_epoch (bool): Step per epoch; with the runner's
            ``convert_to_iter_based=True`` it steps per iteration.
            Defaults to True.
        verbose (bool): Defaults to False.
    """

    def __init__(self,
                 optimizer,
                 restart: bool = True,
                 restart_decay: float = 1.0,
                 restart_warmup: float = 0.0,
                 eta_min: float = 0.0,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False) -> None:
        if end == INF:
            raise ValueError(f'{OWNER}: end is not set; build it through '
                             'the runner (which ends it with training) or '
                             'give end')
        self.restart = check_bool(OWNER, 'restart', restart)
        self.restart_decay = check_fraction(OWNER, 'restart_decay',
                                            restart_decay)
        self.restart_warmup = check_fraction(
            OWNER, 'restart_warmup', restart_warmup, include_zero=True)
        self.eta_min = eta_min
        # Stage ends in steps from begin; None until follow_stages.
        self.ends: Optional[List[int]] = None if restart else [end - begin]
        super().__init__(
            optimizer,
            begin=begin,
            end=end,
            last_step=last_step,
            by_epoch=by_epoch,
            verbose=verbose)

    @classmethod
    def build_iter_from_epoch(cls, *args, begin: int = 0, end: int = INF,
                              by_epoch: bool = True,
                              epoch_length: Optional[int] = None,
                              **kwargs) -> 'StageCosineLR':
        """An iteration-based instance of an epoch-based config."""
        if not by_epoch or not epoch_length:
            raise ValueError(f'{OWNER}: convert_to_iter_based needs '
                             'by_epoch=True and the epoch length')
        end = end if end == INF else int(end * epoch_length)
        return cls(*args, begin=int(begin * epoch_length), end=end,
                   by_epoch=False, **kwargs)

    def follow_stages(self, schedule: StageSchedule) -> None:
        """Restart where the stages of ``schedule`` start (scaled to this
        scheduler's steps); without restarts only the end is kept."""
        total = self.end - self.begin
        self.ends = schedule.steps(total) if self.restart else [total]

    def state_dict(self) -> dict:
        """The scheduler's state without its end and stage ends: both come
        from this run (the config's end, the stage hook's stages), so a
        resume into a changed schedule (which
        ``PWKDStageHook(allow_schedule_change=True)`` allows) follows the
        new run length and stages in the LR as in the widths."""
        state = super().state_dict()
        state.pop('ends', None)
        state.pop('end', None)
        return state

    def factor(self, step: int) -> float:
        """The LR at ``step`` (from ``begin``) relative to the base LR,
        before ``eta_min`` is mixed in."""
        if self.ends is None:
            if step == 0:  # the runner steps once when it builds us
                return 1.0
            raise RuntimeError(
                f'{OWNER}: restarts with the PWKD stages, but no '
                'PWKDStageHook gave it stages; add custom_hooks=[dict('
                "type='PWKDStageHook', stages=...)] or set restart=False")
        stage = next(k for k, end in enumerate(self.ends) if step < end) \
            if step < self.ends[-1] else len(self.ends) - 1
        start = self.ends[stage - 1] if stage else 0
        length = self.ends[stage] - start
        peak = self.restart_decay**stage
        warmup = round(self.restart_warmup * length) if stage else 0
        local = step - start
        if local < warmup:
            return peak * (local + 1) / (warmup + 1)
        progress = (local - warmup) / (length - warmup)
        return peak * (1 + math.cos(math.pi * progress)) / 2

    # mmengine's documented way to define a scheduler: subclasses of
    # _ParamScheduler implement its abstract _get_value.
    def _get_value(self) -> List[float]:
        factor = self.factor(self.last_step)
        return [
            self.eta_min + (base - self.eta_min) * factor
            for base in self.base_values
        ]
