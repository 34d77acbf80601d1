"""The accuracy benchmark's statistics: paired differences, the 95%
confidence interval and the pre-registered verdict."""
import math
import runpy

import pytest

from conftest import REPO

STATS = runpy.run_path(
    str(REPO / 'tools' / 'benchmark' / 'accuracy_stats.py'))


def test_t_quantiles_from_the_table():
    t = STATS['t_975']
    assert t(4) == 2.776 and t(9) == 2.262
    assert t(22) == 2.086  # the nearest tabulated value below
    assert t(100) == 1.96
    with pytest.raises(ValueError, match='dof must be >= 1'):
        t(0)


@pytest.mark.parametrize('b, verdict', [
    # Differences 0.5 +- 0.1: the interval lies above 0.
    ([0.4, 1.6, 2.5, 3.4, 4.6], 'gain'),
    # Differences 0 +- 0.1: the interval lies below +0.5.
    ([1.1, 1.9, 3.1, 3.9, 5.0], 'no gain of 0.5 points or more'),
    # Differences spread over 3 points: the interval holds 0 and 0.5.
    ([0, 2.9, 1, 5, 4], 'inconclusive'),
])
def test_preregistered_verdicts(b, verdict):
    a = [1, 2, 3, 4, 5]
    result = STATS['paired_interval'](a, b)
    diffs = [x - y for x, y in zip(a, b)]
    mean = sum(diffs) / 5
    sd = math.sqrt(sum((d - mean)**2 for d in diffs) / 4)
    half = 2.776 * sd / math.sqrt(5)
    assert result['diff'] == pytest.approx(mean)
    assert result['ci95'] == pytest.approx([mean - half, mean + half])
    assert result['preregistered'] == verdict


def test_an_interval_needs_two_pairs():
    with pytest.raises(ValueError, match='at least 2'):
        STATS['paired_interval']([1.0], [0.0])
