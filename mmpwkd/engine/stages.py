"""A PWKD stage schedule, read once and shared by the stage hook and the
LR scheduler that restarts with the stages.

A schedule is a list of ``dict(width=w, <unit>=length)`` with one unit for
all stages: ``epochs`` or ``iters`` (absolute lengths), or ``ratio``
(relative lengths, scaled to the run's iterations, so the schedule follows
``max_epochs`` when that changes).
"""
from typing import List, NamedTuple, Sequence

__all__ = ['StageSchedule', 'parse_stages', 'stage_ends']

UNITS = ('epochs', 'iters', 'ratio')


class StageSchedule(NamedTuple):
    """Widths, lengths and unit of the stages, in training order."""

    widths: List[float]
    lengths: List[float]
    unit: str


def _number(value: object, integer: bool) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if integer else isinstance(
        value, (int, float))


def parse_stages(stages: Sequence[dict], owner: str) -> StageSchedule:
    """Check a stage list and return its widths, lengths and unit.

    Args:
        stages (Sequence[dict]): ``dict(width=w, epochs|iters|ratio=n)``.
        owner (str): Who reads the stages, named in errors.

    Raises:
        ValueError: Naming the stage and the key that is wrong.
    """
    if not isinstance(stages, (list, tuple)) or not stages:
        raise ValueError(f'{owner}: stages must be a non-empty list of '
                         'dict(width=..., epochs=...|iters=...|ratio=...), '
                         f'got {stages!r}')
    units = {key for stage in stages for key in UNITS
             if isinstance(stage, dict) and key in stage}
    if len(units) != 1:
        raise ValueError(f'{owner}: every stage needs the same length key, '
                         f'one of {UNITS}; got {list(stages)!r}')
    unit = units.pop()
    widths, lengths = [], []
    for index, stage in enumerate(stages):
        if set(stage) != {'width', unit}:
            raise ValueError(f'{owner}: stages[{index}] must have exactly '
                             f'the keys width and {unit}, got {stage!r}')
        width, length = stage['width'], stage[unit]
        if not _number(width, False) or not 0 < width <= 1:
            raise ValueError(f'{owner}: stages[{index}].width must be in '
                             f'(0, 1], got {width!r}')
        if not _number(length, unit != 'ratio') or length <= 0:
            kind = 'positive number' if unit == 'ratio' else 'positive int'
            raise ValueError(f'{owner}: stages[{index}].{unit} must be a '
                             f'{kind}, got {length!r}')
        widths.append(float(width))
        lengths.append(length)
    return StageSchedule(widths, lengths, unit)


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
