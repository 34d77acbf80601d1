"""tools/benchmark/timing.py, the harness of the speed benchmarks: the
order of the arms in each round, warm-up rounds dropped, untimed setup,
and the statistics it reports."""
import time

import pytest
import torch

from conftest import load_tool

timing = load_tool('tools/benchmark/timing.py')

CPU = torch.device('cpu')


def test_rounds_rotate_the_starting_arm_and_drop_the_warm_up(capsys):
    calls = []
    arms = {name: (lambda name=name: calls.append(name)) for name in 'abc'}
    times = timing.run_rounds('demo', arms, rounds=3, warmup=1, device=CPU)
    assert ''.join(calls) == 'abc' 'bca' 'cab' 'abc'
    assert {name: len(values) for name, values in times.items()} == dict(
        a=3, b=3, c=3)
    printed = capsys.readouterr().out
    assert '[demo] round 1/4 (warm-up)' in printed
    assert '[demo] round 4/4 (timed)' in printed


def test_setup_runs_before_its_arm_untimed():
    calls = []
    arms = dict(fast=lambda: calls.append('fast'),
                other=lambda: calls.append('other'))
    setup = dict(fast=lambda: (calls.append('setup'), time.sleep(0.05)))
    times = timing.run_rounds('demo', arms, 2, 0, CPU, setup=setup)
    assert calls == ['setup', 'fast', 'other', 'other', 'setup', 'fast']
    assert max(times['fast']) < 0.05


@pytest.mark.parametrize('rounds, warmup', [(0, 1), (2, -1)])
def test_bad_round_counts_are_refused(rounds, warmup):
    with pytest.raises(ValueError, match='rounds must be >= 1 and warmup '
                       f'>= 0, got rounds={rounds}, warmup={warmup}'):
        timing.run_rounds('demo', dict(a=lambda: None), rounds, warmup, CPU)


def test_ratios_are_taken_within_rounds():
    times = dict(a=[1.0, 4.0, 9.0], b=[1.0, 8.0, 3.0])
    # Per-round ratios 1, 0.5, 3: median 1, not the ratio of the medians
    # (4 / 3).
    assert timing.paired(times, lambda t: t['a'] / t['b']) == 1.0
    assert timing.paired(dict(a=[1.0, 5.0], b=[1.0, 1.0]),
                         lambda t: t['a'] / t['b']) == 3.0


def test_spread_and_arm_stats():
    assert timing.spread([4.0, 1.0, 3.0, 2.0, 5.0]) == dict(
        median=3.0, q1=2.0, q3=4.0, min=1.0, max=5.0)
    assert timing.spread([2.0]) == dict.fromkeys(
        ('median', 'q1', 'q3', 'min', 'max'), 2.0)
    assert timing.arm_stats([0.5, 0.25, 1.0], batch=8) == dict(
        median_s=0.5, min_s=0.25, max_s=1.0, images_per_s=16.0)
