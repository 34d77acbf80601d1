"""tools/benchmark/speed.py runs end to end at tiny sizes; the JSON it
writes has every arm, ratio and target, and each statistic is the one its
name says, recomputed from the raw per-round times. No speed is asserted:
CI machines are shared."""
import json
import statistics
import sys

import pytest

from conftest import run_tool

WIDTHS = (0.25, 0.5, 0.75, 1.0)
ARMS = {
    'student', 'bare_student', 'kd', 'bare_kd', 'slimmable_joint',
    'teacher_full_step'
}
ARMS |= {
    f'{arm}_w{w}'
    for arm in ('pwkd', 'teacher_forward') for w in WIDTHS
}
PAIRS = {'resnet34_resnet18_224', 'resnet56_resnet20_cifar32'}


def paired_median(times, num, den):
    """The median over rounds of ``num / den`` (each a callable of one
    round's times, arm to seconds), to compare within rounding."""
    rounds = [{arm: values[i] for arm, values in times.items()}
              for i in range(len(times['kd']))]
    return pytest.approx(statistics.median(num(t) / den(t) for t in rounds))


def check_pwkd_pair(pair: dict) -> None:
    """Statistics, ratios and targets of one pair match its raw times."""
    times = pair['times_s']
    assert set(pair['arms']) == ARMS and set(times) == ARMS
    assert all(len(values) == 2 for values in times.values())
    for arm, stats in pair['arms'].items():
        assert stats['median_s'] == statistics.median(times[arm])
        assert (stats['min_s'], stats['max_s']) == (min(times[arm]),
                                                    max(times[arm]))
        assert stats['images_per_s'] == pair['batch'] / stats['median_s']
        assert stats['to_kd'] == paired_median(
            times, lambda t, a=arm: t[a], lambda t: t['kd'])
        assert stats['to_student'] == paired_median(
            times, lambda t, a=arm: t[a], lambda t: t['student'])
    assert set(pair['teacher_forward']) == {str(w) for w in WIDTHS}
    for w in WIDTHS:
        assert pair['teacher_forward'][str(w)]['to_full'] == paired_median(
            times, lambda t, w=w: t[f'teacher_forward_w{w}'],
            lambda t: t['teacher_forward_w1.0'])
    found = {t['name']: t for t in pair['targets']}
    assert len(found) == 8
    assert found['kd / bare_kd']['limit'] == 1.03
    assert found['kd / bare_kd']['value'] == paired_median(
        times, lambda t: t['kd'], lambda t: t['bare_kd'])
    narrow = found['pwkd_w0.25 / (student + teacher_forward_w0.25)']
    assert narrow['value'] == paired_median(
        times, lambda t: t['pwkd_w0.25'],
        lambda t: t['student'] + t['teacher_forward_w0.25'])
    schedule = found['schedule: mean_w pwkd_w / kd (4 equal stages)']
    assert schedule['value'] == paired_median(
        times, lambda t: statistics.mean(t[f'pwkd_w{w}'] for w in WIDTHS),
        lambda t: t['kd'])
    for target in found.values():
        assert target['met'] == (target['value'] <= target['limit'])


def test_speed_benchmark_smoke(tmp_path):
    out, png = tmp_path / 'speed.json', tmp_path / 'speed.png'
    command = [
        sys.executable, 'tools/benchmark/speed.py', '--tiny', '--iters', '2',
        '--warmup', '0', '--threads', '1', '--profile', '--profile-steps',
        '1', '--out', str(out), '--plot', str(png)
    ]
    printed = run_tool(command, timeout=600).stdout
    results = json.loads(out.read_text())

    assert '[resnet56_resnet20_cifar32] round 2/2 (timed)' in printed
    assert '--tiny' in results['command']
    assert {'cores', 'threads', 'torch', 'device', 'load_average_start',
            'load_average_end'} <= set(results['machine'])
    assert results['machine']['threads'] == 1
    assert set(results['pairs']) == PAIRS
    for pair in results['pairs'].values():
        check_pwkd_pair(pair)
        assert set(pair['profile']) == {'student', 'kd', 'pwkd_w0.25'}
        assert all(len(ops) == 8 for ops in pair['profile'].values())
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


OPTION_ARMS = {
    'kd_stock', 'kd', 'kd_bf16', 'kd_compiled', 'bare_kd', 'teacher_forward',
    'teacher_forward_compiled'
}


def test_speed_options_suite_smoke(tmp_path):
    """The options suite: preprocessors per batch, KD with each change."""
    out, png = tmp_path / 'options.json', tmp_path / 'options.png'
    command = [
        sys.executable, 'tools/benchmark/speed.py', '--suite', 'options',
        '--tiny', '--iters', '2', '--warmup', '1', '--threads', '1',
        '--pairs', 'resnet56_resnet20_cifar32', '--out', str(out), '--plot',
        str(png)
    ]
    run_tool(command, timeout=600)
    results = json.loads(out.read_text())

    preprocess = results['preprocess']
    assert preprocess['batches'] == [8, 16, 32]
    assert set(preprocess['summary']) == {
        f'{b}{s}' for b in (8, 16, 32) for s in ('', '_onehot')
    }
    assert all(len(t) == 20 for t in preprocess['times_s'].values())
    for row in preprocess['summary'].values():
        assert row['stock_ms'] > 0 and row['batched_ms'] > 0
    pair = results['pairs']['resnet56_resnet20_cifar32']
    assert set(pair['arms']) == OPTION_ARMS
    assert all(len(t) == 2 for t in pair['times_s'].values())
    times = pair['times_s']
    assert len(pair['ratios']) == 6
    assert pair['ratios']['kd_stock / kd (batched preprocessor gain)'] == (
        paired_median(times, lambda t: t['kd_stock'], lambda t: t['kd']))
    assert pair['ratios']['teacher_forward_compiled / teacher_forward'] == (
        paired_median(times, lambda t: t['teacher_forward_compiled'],
                      lambda t: t['teacher_forward']))
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
