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


# Two-sided 95% quantiles of Student's t by degrees of freedom (standard
# tables); beyond 30 the normal quantile is within 0.05 of them.
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447,
         7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179,
         13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120, 17: 2.110, 18: 2.101,
         19: 2.093, 20: 2.086, 25: 2.060, 30: 2.042}
# The pre-registered final's threshold: a gain under half a point is not
# worth a user's switch.
WORTHWHILE = 0.5


def t_975(dof: int) -> float:
    """The 97.5% quantile of t with ``dof`` degrees of freedom (the
    nearest tabulated value at or below ``dof``; 1.96 beyond 30)."""
    if dof < 1:
        raise ValueError(f't_975: dof must be >= 1, got {dof}')
    if dof > 30:
        return 1.96
    return T_975[max(d for d in T_975 if d <= dof)]


def paired_interval(a: Sequence[float],
                    b: Sequence[float]) -> Dict[str, float]:
    """The 95% confidence interval of the mean paired difference ``a - b``
    and the pre-registered verdict on it: ``gain`` if the interval lies
    above 0, ``no gain of 0.5 points or more`` if it lies below +0.5,
    else ``inconclusive``."""
    result = compare(a, b)
    n = len(a)
    if n < 2:
        raise ValueError('paired_interval: needs at least 2 paired seeds')
    half = t_975(n - 1) * result['paired_sd'] / math.sqrt(n)
    low, high = result['diff'] - half, result['diff'] + half
    if low > 0:
        verdict = 'gain'
    elif high < WORTHWHILE:
        verdict = f'no gain of {WORTHWHILE} points or more'
    else:
        verdict = 'inconclusive'
    return dict(result, ci95=[low, high], preregistered=verdict)


def seeds_to_see(paired_sd: float,
                 width: float = WORTHWHILE,
                 least: int = 10,
                 most: int = 20) -> int:
    """The fewest seeds, from ``least`` to ``most``, whose 95% interval of
    a paired difference with sd ``paired_sd`` is at most ``width`` either
    side of its mean; ``most`` if none is."""
    if least < 2 or most < least:
        raise ValueError(f'seeds_to_see: need 2 <= least <= most, got '
                         f'least={least}, most={most}')
    for n in range(least, most + 1):
        if t_975(n - 1) * paired_sd / math.sqrt(n) <= width:
            return n
    return most
