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


@pytest.mark.parametrize('sd, seeds', [
    (0.5, 10),   # 2.262 * 0.5 / sqrt(10) = 0.36: the floor of 10 holds
    (0.84, 14),  # 2.179 * 0.84 / sqrt(13) = 0.508 > 0.5; n = 14: 0.485
    (1.0, 18),   # n = 17: 2.120 / sqrt(17) = 0.514; n = 18: 0.497
    (3.0, 20),   # nothing up to 20 resolves it: the cap
])
def test_seeds_to_see_half_a_point(sd, seeds):
    see = STATS['seeds_to_see']
    assert see(sd) == seeds
    n = seeds
    if n < 20:
        assert STATS['t_975'](n - 1) * sd / math.sqrt(n) <= 0.5
    if n > 10:
        assert STATS['t_975'](n - 2) * sd / math.sqrt(n - 1) > 0.5
    with pytest.raises(ValueError, match='least=1'):
        see(sd, least=1)


def test_the_verdict_takes_its_seeds_from_the_pooled_paired_sd(
        monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / 'tools' / 'benchmark'))
    from accuracy_verdict import seed_rule

    def cell(sd):
        return dict(differences={'pwkd - kd': dict(paired_sd=sd)})

    # Variances 0.36 and 1.0 average to 0.68: sd 0.825, 13 seeds
    # (2.179 * 0.825 / sqrt(13) = 0.498).
    rule = seed_rule(dict(gap=dict(cells=dict(a=cell(0.6), b=cell(1.0)))))
    assert rule['paired_sd'] == pytest.approx(math.sqrt(0.68))
    assert (rule['cells'], rule['seeds']) == (2, 13)
