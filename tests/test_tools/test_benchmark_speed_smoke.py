"""tools/benchmark/speed.py runs end to end at tiny sizes; the JSON it
writes has every arm, ratio and target. No timing is asserted."""
import json
import subprocess
import sys

from conftest import REPO

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


def test_speed_benchmark_smoke(tmp_path):
    out, png = tmp_path / 'speed.json', tmp_path / 'speed.png'
    command = [
        sys.executable, 'tools/benchmark/speed.py', '--tiny', '--iters', '2',
        '--warmup', '0', '--threads', '1', '--profile', '--profile-steps',
        '1', '--out', str(out), '--plot', str(png)
    ]
    subprocess.run(command, cwd=REPO, check=True, timeout=300)
    results = json.loads(out.read_text())

    assert '--tiny' in results['command']
    assert {'cores', 'threads', 'torch', 'device', 'load_average_start',
            'load_average_end'} <= set(results['machine'])
    assert results['machine']['threads'] == 1
    assert set(results['pairs']) == PAIRS
    for pair in results['pairs'].values():
        assert set(pair['arms']) == ARMS
        assert set(pair['times_s']) == ARMS
        assert all(len(times) == 2 for times in pair['times_s'].values())
        for stats in pair['arms'].values():
            assert stats['min_s'] <= stats['median_s'] <= stats['max_s']
            assert stats['images_per_s'] > 0
        assert pair['arms']['student']['to_student'] == 1.0
        assert pair['arms']['kd']['to_kd'] == 1.0
        assert set(pair['teacher_forward']) == {str(w) for w in WIDTHS}
        assert pair['teacher_forward']['1.0']['to_full'] == 1.0
        limits = {t['name']: t['limit'] for t in pair['targets']}
        assert len(limits) == 8
        assert limits['kd / bare_kd'] == 1.03
        for target in pair['targets']:
            assert target['met'] == (target['value'] <= target['limit'])
        assert set(pair['profile']) == {'student', 'kd', 'pwkd_w0.25'}
        assert all(len(ops) == 8 for ops in pair['profile'].values())
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


OPTION_ARMS = {
    'kd_stock', 'kd', 'kd_bf16', 'kd_compiled', 'bare_kd', 'teacher_forward',
    'teacher_forward_compiled'
}


def test_speed_options_suite_smoke(tmp_path):
    """Issue 15's arms: preprocessors per batch, KD with each change."""
    out, png = tmp_path / 'options.json', tmp_path / 'options.png'
    command = [
        sys.executable, 'tools/benchmark/speed.py', '--suite', 'options',
        '--tiny', '--iters', '2', '--warmup', '1', '--threads', '1',
        '--pairs', 'resnet56_resnet20_cifar32', '--out', str(out), '--plot',
        str(png)
    ]
    subprocess.run(command, cwd=REPO, check=True, timeout=300)
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
    assert len(pair['ratios']) == 6
    assert all(value > 0 for value in pair['ratios'].values())
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
