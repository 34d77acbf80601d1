"""tools/benchmark/slimmable_forward.py runs end to end with tiny settings
and writes its JSON and plot; each ratio is the one its name says,
recomputed from the raw per-round times. No speed is asserted: CI machines
are shared."""
import json
import statistics
import sys
from pathlib import Path

import pytest

from conftest import REPO, run_tool

TOOL = 'tools/benchmark/slimmable_forward.py'
WIDTHS = [0.25, 0.5, 0.75, 1.0]
SPREADS = ('slimmable_vs_full', 'plain_vs_full', 'slimmable_vs_plain',
           'fixed_vs_plain', 'slimmable_vs_fixed', 'slimmable_ms',
           'fixed_ms', 'plain_ms')


def test_benchmark_writes_its_report(tmp_path: Path):
    out, png = tmp_path / 'forward.json', tmp_path / 'forward.png'
    args = [
        '--iters', '2', '--warmup', '1', '--threads', '1', '--image-size',
        '16', '--batch-size', '1', '--out',
        str(out), '--plot',
        str(png)
    ]
    printed = run_tool([sys.executable, str(REPO / TOOL), *args]).stdout

    report = json.loads(out.read_text())
    assert report['command'].endswith(' '.join(args))
    machine = report['machine']
    assert machine['threads'] == 1 and machine['device'] == 'cpu'
    for key in ('cpu', 'cores', 'torch', 'load_avg_before',
                'load_avg_after'):
        assert machine[key], key
    assert set(report['results']) == {'resnet34', 'resnet56'}
    arms = {f'{kind}@{width}' for kind in ('slimmable', 'fixed', 'plain')
            for width in WIDTHS}
    for name, result in report['results'].items():
        assert (result['batch_size'], result['image_size']) == (1, 16)
        assert [row['width'] for row in result['widths']] == WIDTHS, name
        assert len(result['times_ms']) == 2
        assert all(set(times) == arms for times in result['times_ms'])
        flops = [result['flops'][str(width)] for width in WIDTHS]
        assert flops == sorted(set(flops)), name
        for row in result['widths']:
            assert row['w2'] == row['width']**2
            for key in SPREADS:
                spread = row[key]
                assert spread['min'] <= spread['q1'] <= spread['median']
                assert spread['median'] <= spread['q3'] <= spread['max']
            slim, plain = (f'{kind}@{row["width"]}'
                           for kind in ('slimmable', 'plain'))
            assert row['slimmable_vs_plain']['median'] == pytest.approx(
                statistics.median(t[slim] / t[plain]
                                  for t in result['times_ms']))
            fixed = f'fixed@{row["width"]}'
            assert row['slimmable_vs_fixed']['median'] == pytest.approx(
                statistics.median(t[slim] / t[fixed]
                                  for t in result['times_ms']))
            assert row['plain_vs_full']['max'] == pytest.approx(
                max(t[plain] / t['plain@1.0'] for t in result['times_ms']))
            assert row['slimmable_ms']['min'] == pytest.approx(
                min(t[slim] for t in result['times_ms']))
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert '[resnet56] round 3/3 (timed)' in printed
    assert '| Width | w^2 |' in printed
