"""tools/benchmark/accuracy.py end to end on synthetic Fashion-MNIST-format
files: every arm and ablation trains, the results are gathered per seed,
and a second call reuses the finished runs. No accuracy is asserted."""
import json
import sys

from conftest import REPO, run_tool

MAIN = {'student', 'kd', 'pwkd_kd', 'dkd', 'pwkd_dkd'}
ABLATIONS = {
    'pwkd_kd_2stages', 'pwkd_kd_no_restart', 'whole_to_partial',
    'whole_restarts', 'pwkd_kd_inplace_teacher'
}


def test_accuracy_benchmark_smoke(tmp_path, fake_fashion_mnist):
    out, table, png = (tmp_path / name
                       for name in ('acc.json', 'acc.md', 'acc.png'))
    command = [
        sys.executable,
        str(REPO / 'tools' / 'benchmark' / 'accuracy.py'), '--work-dir',
        str(tmp_path / 'runs'), '--data-root',
        str(fake_fashion_mnist), '--seeds', '2', '--ablations',
        '--ablation-seeds', '1', '--out',
        str(out), '--table',
        str(table), '--plot',
        str(png)
    ]
    first = run_tool(command, timeout=900)
    results = json.loads(out.read_text())

    assert set(results['arms']) == MAIN | ABLATIONS
    for name, arm in results['arms'].items():
        seeds = 2 if name in MAIN else 1
        assert sorted(arm['seeds']) == [str(s) for s in range(seeds)]
        for run in arm['seeds'].values():
            assert [epoch for epoch, _ in run['curve']] == list(range(1, 9))
            assert run['final_top1'] == run['curve'][-1][1]
        finals = [run['final_top1'] for run in arm['seeds'].values()]
        assert arm['mean'] == sum(finals) / len(finals)
    # The reversed ablation really ends at the narrowest teacher.
    log = (tmp_path / 'runs' / 'runs' / 'whole_to_partial' / 'seed0' /
           'train.log').read_text()
    assert 'PWKD stage 4/4: teacher width 0.25' in log
    assert set(results['teachers']) == {'teacher', 'slimmable', 'inplace'}
    text = table.read_text()
    assert '| PWKD + DKD |' in text and 'in-place-distilled' in text
    assert text in first.stdout
    assert png.stat().st_size > 10_000

    again = run_tool(command, timeout=300)
    assert '15 student runs, 15 reused, 0 to train' in again.stdout
    assert 'reusing the in-place-distilled slimmable teacher' in again.stdout
    assert json.loads(out.read_text())['arms'] == results['arms']
