"""Statistics of the accuracy benchmark: per-arm summaries and paired
differences, judged by the project's rule (a difference smaller than twice
the pooled std of the two arms is no difference)."""
import math
import statistics
from typing import Dict, Sequence


def summary(values: Sequence[float]) -> Dict[str, float]:
    """Mean, sample std and count of per-seed values."""
    return dict(
        mean=statistics.mean(values),
        std=statistics.stdev(values) if len(values) > 1 else 0.0,
        n=len(values))


def pooled_std(a: Sequence[float], b: Sequence[float]) -> float:
    """Pooled sample std of two arms."""
    dof = len(a) + len(b) - 2
    if dof < 1:
        return 0.0
    return math.sqrt(((len(a) - 1) * statistics.variance(a) +
                      (len(b) - 1) * statistics.variance(b)) / dof)


def compare(a: Sequence[float], b: Sequence[float]) -> Dict[str, float]:
    """``a - b`` for values paired by seed (same order).

    Returns:
        dict: ``diff`` (mean difference), ``two_pooled_std``, ``paired_sd``,
        ``t`` (paired t statistic, 0 when the differences do not vary) and
        ``verdict``: ``'better'``/``'worse'`` if the difference exceeds
        twice the pooled std, else ``'no difference'``.
    """
    if len(a) != len(b):
        raise ValueError(f'compare: {len(a)} and {len(b)} values; they must '
                         'be paired by seed')
    diffs = [x - y for x, y in zip(a, b)]
    diff = statistics.mean(diffs)
    sd = statistics.stdev(diffs) if len(diffs) > 1 else 0.0
    bar = 2 * pooled_std(a, b)
    t = diff / (sd / math.sqrt(len(diffs))) if sd > 0 else 0.0
    verdict = 'no difference'
    if abs(diff) > bar:
        verdict = 'better' if diff > 0 else 'worse'
    return dict(diff=diff, two_pooled_std=bar, paired_sd=sd, t=t,
                verdict=verdict)
