"""The PWKD stage schedule: the one object that says which teacher each
part of the run distils from.

A schedule is a list of ``dict(width=w, <unit>=length)`` with one unit for
all stages: ``epochs`` or ``iters`` (absolute lengths), or ``ratio``
(relative lengths, scaled to the run's iterations, so the schedule follows
``max_epochs`` when that changes). :class:`PWKDStageHook` builds it from
its ``stages`` and resolves it against the train loop; the LR scheduler
(:class:`StageCosineLR`) and the checkpoint meta (``meta.pwkd_stages``)
read the resolved schedule from the hook, so the stages are stated once.

A stage names its teacher by ``width`` (a sub-network of a slimmable
teacher: partial in width, PWKD) or by ``checkpoint`` (the whole teacher
as it was at a point of its own training: partial in training, as in
route-constrained distillation, Jin et al., ICCV 2019). All stages of a
schedule use the same key; :data:`TEACHER_KEYS` lists them, and the hook
gives each its meaning when it enters a stage.
"""
import bisect
from typing import List, Optional, Sequence

import numpy as np

__all__ = ['StageSchedule', 'stage_ends']

UNITS = ('epochs', 'iters', 'ratio')
TEACHER_KEYS = ('width', 'checkpoint')


def _number(value: object, integer: bool) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if integer else isinstance(
        value, (int, float))


def stage_ends(lengths: Sequence[float], total: int, owner: str) -> List[int]:
    """Where each stage ends, in steps of a run of ``total`` steps.

    Stage lengths are scaled to ``total`` and rounded; absolute lengths
    that sum to ``total`` come back unchanged.

    Raises:
        ValueError: If a stage would get no step.
    """
    whole = sum(lengths)
    ends, done = [], 0.0
    for length in lengths:
        done += length
        ends.append(round(total * done / whole))
    starts = [0, *ends[:-1]]
    if any(end <= start for start, end in zip(starts, ends)):
        raise ValueError(f'{owner}: stage lengths {list(lengths)} leave a '
                         f'stage without a step in a run of {total} steps')
    return ends


def _teacher_key(stages: Sequence[dict], owner: str) -> str:
    """The one key that names every stage's teacher."""
    keys = {key for stage in stages for key in TEACHER_KEYS
            if isinstance(stage, dict) and key in stage}
    if len(keys) != 1:
        raise ValueError(f'{owner}: every stage names its teacher by the '
                         f'same key, one of {TEACHER_KEYS}; got '
                         f'{list(stages)!r}')
    return keys.pop()


def _parse(stages: Sequence[dict], owner: str):
    """Teacher key, teachers (widths or checkpoints), lengths and unit of
    a checked stage list."""
    if not isinstance(stages, (list, tuple)) or not stages:
        raise ValueError(f'{owner}: stages must be a non-empty list of '
                         'dict(width=...|checkpoint=..., '
                         'epochs=...|iters=...|ratio=...), got '
                         f'{stages!r}')
    units = {key for stage in stages for key in UNITS
             if isinstance(stage, dict) and key in stage}
    if len(units) != 1:
        raise ValueError(f'{owner}: every stage needs the same length key, '
                         f'one of {UNITS}; got {list(stages)!r}')
    unit = units.pop()
    key = _teacher_key(stages, owner)
    teachers, lengths = [], []
    for index, stage in enumerate(stages):
        if set(stage) != {key, unit}:
            raise ValueError(f'{owner}: stages[{index}] must have exactly '
                             f'the keys {key} and {unit}, got {stage!r}')
        teacher, length = stage[key], stage[unit]
        if key == 'width' and (not _number(teacher, False)
                               or not 0 < teacher <= 1):
            raise ValueError(f'{owner}: stages[{index}].width must be in '
                             f'(0, 1], got {teacher!r}')
        if key == 'checkpoint' and (not isinstance(teacher, str)
                                    or not teacher):
            raise ValueError(f'{owner}: stages[{index}].checkpoint must be '
                             f'a checkpoint path, got {teacher!r}')
        if not _number(length, unit != 'ratio') or length <= 0:
            kind = 'positive number' if unit == 'ratio' else 'positive int'
            raise ValueError(f'{owner}: stages[{index}].{unit} must be a '
                             f'{kind}, got {length!r}')
        teachers.append(float(teacher) if key == 'width' else teacher)
        lengths.append(length)
    return key, teachers, lengths, unit


def _check_order(widths: List[float], allow_partial_end: bool,
                 any_order: bool, owner: str) -> None:
    if not any_order and any(b <= a for a, b in zip(widths, widths[1:])):
        raise ValueError(f'{owner}: stage widths must be strictly ascending '
                         f'(partial to whole), got {widths}; set '
                         'any_order=True for another order')
    if widths[-1] != 1.0 and not allow_partial_end:
        raise ValueError(f'{owner}: the last stage must use the whole '
                         f'teacher (width 1.0), got {widths[-1]}; set '
                         'allow_partial_end=True to end narrower')


class StageSchedule:
    """The stages of a PWKD run, checked when built and resolved against
    the run's length.

    Args:
        stages (Sequence[dict]): ``dict(width=w, epochs|iters|ratio=n)``
            or ``dict(checkpoint=path, epochs|iters|ratio=n)`` in training
            order. Checkpoint stages run the whole teacher (its widest
            width) with the stage's weights.
        gradual (bool): Draw the width per iteration between neighbouring
            stages instead of switching at stage ends (width stages only).
            Defaults to False.
        allow_partial_end (bool): Allow a last width below 1.0.
            Defaults to False.
        any_order (bool): Allow widths in any order. Defaults to False.
        owner (str): Who states the stages, named in errors.
            Defaults to ``'PWKDStageHook'``.
    """

    def __init__(self,
                 stages: Sequence[dict],
                 gradual: bool = False,
                 allow_partial_end: bool = False,
                 any_order: bool = False,
                 owner: str = 'PWKDStageHook') -> None:
        self.owner = owner
        key, teachers, self.lengths, self.unit = _parse(stages, owner)
        # Checkpoint stages: the whole teacher, with each stage's weights.
        self.checkpoints: Optional[List[str]] = None
        if key == 'checkpoint':
            self.checkpoints, self.widths = teachers, [1.0] * len(teachers)
            if gradual:
                raise ValueError(f'{owner}: gradual=True draws widths; '
                                 'checkpoint stages have none')
        else:
            self.widths = teachers
            _check_order(self.widths, allow_partial_end, any_order, owner)
        self.gradual = gradual
        # Stage ends and the run's length in the unit of progress (epochs
        # for epoch stages, else iterations); set by resolve().
        self.ends: List[int] = []
        self.total: Optional[int] = None
        if self.unit != 'ratio':
            self.ends = [int(sum(self.lengths[:k + 1]))
                         for k in range(len(self.lengths))]

    def describe(self, stage: int) -> str:
        """The teacher of ``stage``, in words for logs and messages."""
        if self.checkpoints is not None:
            return f'teacher checkpoint {self.checkpoints[stage]}'
        return f'teacher width {self.widths[stage]}'

    @property
    def by_epoch(self) -> bool:
        """Whether progress is counted in epochs (else in iterations)."""
        return self.unit == 'epochs'

    def resolve(self, total: int) -> None:
        """Fit the schedule to a run of ``total`` epochs (epoch stages) or
        iterations (the others).

        Raises:
            ValueError: If absolute lengths do not sum to ``total``.
        """
        if self.unit == 'ratio':
            self.ends = stage_ends(self.lengths, total, self.owner)
        if self.ends[-1] != total:
            key = 'max_epochs' if self.by_epoch else 'max_iters'
            raise ValueError(
                f'{self.owner}: the stage {self.unit} {self.lengths} sum to '
                f'{self.ends[-1]}, but train_cfg.{key} is {total}')
        self.total = total

    @property
    def starts(self) -> List[int]:
        """Where each stage starts, in the unit of progress."""
        return [0, *self.ends[:-1]]

    def stage_at(self, progress: int) -> int:
        """Index of the stage that the next epoch/iteration belongs to."""
        return min(bisect.bisect_right(self.ends, progress),
                   len(self.ends) - 1)

    def steps(self, total: int) -> List[int]:
        """The stage ends scaled to a run of ``total`` steps of another
        unit (an LR scheduler's), so that its restarts fall on them."""
        return stage_ends(np.diff([0, *self.ends]).tolist(), total,
                          self.owner)

    def gradual_width(self, iteration: int, max_iters: int,
                      seed: int) -> float:
        """The gradual curriculum's draw for ``iteration``: the chance of
        the next width rises linearly from the middle of a stage to the
        middle of the next; the draw depends on the seed and the
        iteration only, so a resumed run draws the same."""
        middles = [(s + e) / 2 / self.ends[-1]
                   for s, e in zip(self.starts, self.ends)]
        position = (iteration + 0.5) / max_iters
        k = bisect.bisect_right(middles, position) - 1
        if k < 0:
            return self.widths[0]
        if k >= len(middles) - 1:
            return self.widths[-1]
        chance = (position - middles[k]) / (middles[k + 1] - middles[k])
        draw = np.random.default_rng([seed, iteration]).random()
        return self.widths[k + 1] if draw < chance else self.widths[k]

    def record(self) -> dict:
        """The schedule as checkpoints record it (``meta.pwkd_stages``):
        the stages as given and where they end in this run, so that a
        resume into a run of another length is seen as a change."""
        record = dict(widths=list(self.widths), lengths=list(self.lengths),
                      unit=self.unit, gradual=self.gradual,
                      ends=list(self.ends), total=self.total)
        if self.checkpoints is not None:
            record['checkpoints'] = list(self.checkpoints)
        return record

    def check_resume(self, saved: Optional[dict], allow: bool) -> None:
        """Refuse to continue a checkpoint trained with another schedule
        (``saved``, its :meth:`record`) unless ``allow``.

        Raises:
            ValueError: Naming both schedules.
        """
        if saved is None or allow or _same(saved, self.record()):
            return
        raise ValueError(
            f'{self.owner}: the checkpoint being resumed was trained with '
            f'stages {saved}, but the config gives {self.record()}. Resume '
            'with the stages and run length it was trained with, or set '
            'allow_schedule_change=True to continue with the new ones '
            '(widths and LR restarts then follow the new stages).')


def _same(saved: dict, current: dict) -> bool:
    """Whether a recorded schedule is this one; records written before
    they held ``ends``/``total`` compare on the stages alone."""
    keys = [key for key in current if key in saved]
    return all(saved[key] == current[key] for key in keys)
