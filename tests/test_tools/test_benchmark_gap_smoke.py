"""tools/benchmark/accuracy.py's diversity and gap phases on synthetic
Fashion-MNIST-format files: every teacher is scored per width against its
whole network, every cell's arms are trained (the fixed-width arms at the
width they name) and the cells are judged. No accuracy is asserted."""
import json
import shutil
import sys

import pytest

from conftest import REPO, run_tool, write_fake_fashion_mnist

pytestmark = pytest.mark.slow

TINY = ('train_dataloader.batch_size=4',
        'train_dataloader.dataset.per_class=1',
        'train_cfg.max_epochs=2', 'train_cfg.val_interval=1')


def test_diversity_and_gap_phases(tmp_path):
    (tmp_path / 'data').mkdir()
    data = write_fake_fashion_mnist(tmp_path / 'data', train=240, test=20)
    out = tmp_path / 'docs' / 'accuracy.json'

    def phase(name, seeds):
        return run_tool([
            sys.executable,
            str(REPO / 'tools' / 'benchmark' / 'accuracy.py'), name,
            '--work-dir', str(tmp_path / 'runs'), '--data-root', str(data),
            '--out', str(out), '--seeds', str(seeds), '--cfg-options', *TINY
        ], timeout=1500)

    phase('diversity', 1)
    diversity = json.loads(out.read_text())['diversity']
    assert set(diversity['teachers']) == {'resnet20', 'resnet56'}
    for teacher in diversity['teachers'].values():
        rows = teacher['widths']
        assert [r['width'] for r in rows] == [0.25, 0.5, 0.75, 1.0]
        assert (rows[-1]['agree'], rows[-1]['kl']) == (100.0, 0.0)
    # Both teachers are the shipped ones (and so is the route arm's plain
    # teacher, below: the checkpoints of its run that the route names).
    for teacher in diversity['teachers'].values():
        assert teacher['checkpoint'].startswith('checkpoints/')

    # One seed: the grid's mechanics, not its statistics.
    gap = phase('gap', 1)
    section = json.loads(out.read_text())['gap']
    assert section['split'] == 'val' and section['seeds'] == [0]
    assert set(section['cells']) == {
        'resnet20-resnet8_pc500_e40', 'resnet56-resnet8_pc500_e40',
        'resnet20-resnet8-quarter_pc500_e40',
        'resnet56-resnet8-quarter_pc500_e40', 'resnet20-resnet8_pc100_e30'}
    for cell in section['cells'].values():
        assert set(cell['arms']) == {
            'student', 'kd', 'kd_w05', 'kd_w025', 'pwkd'}
        assert all(len(a['val_top1']) == 1 for a in cell['arms'].values())
        assert set(cell['differences']) == {
            'kd - student', 'kd_w05 - kd', 'kd_w025 - kd', 'pwkd - kd',
            'pwkd - student'}
        assert isinstance(cell['qualified'], bool)
    assert 'qualifying cells' in gap.stdout
    # The fixed-width arms ran their teacher at the width they name, and
    # the resnet56 arms with the resnet56 teacher.
    runs = tmp_path / 'runs' / 'runs'
    log = next(runs.glob('kd-fixed-width_resnet20_resnet8_*/pc500_e40/'
                         'resnet56_w0.25/seed0/*/*.log')).read_text()
    assert 'teacher_width: 0.25' in log
    assert 'slimmable-resnet56' in log
    # The student alone is shared by the two teachers' cells.
    assert len(list(runs.glob('resnet8_1xb128_fmnist-student/*/*/seed0'))) \
        == 2
    tables = (tmp_path / 'docs' / 'accuracy_tables.md').read_text()
    assert '## Capacity gap x schedule length (validation)' in tables
    assert '## Partial teachers against the whole (validation)' in tables

    # The pre-registered final runs in the cell the gap phase chose; tiny
    # runs qualify or not by chance, so the test names the cell.
    results = json.loads(out.read_text())
    best = results['gap']['best_cell'] = 'resnet20-resnet8_pc100_e30'
    out.write_text(json.dumps(results))
    verdict_run = phase('verdict', 2)
    results = json.loads(out.read_text())
    verdict = results['verdict']
    assert verdict['split'] == 'test' and verdict['cell'] == best
    assert set(results['arms']) == {
        'student', 'kd', 'pwkd', verdict['best_staged'], 'kd_equal_cost'}
    for arm in results['arms'].values():
        assert arm['seeds'] == [0, 1] and len(arm['test_top1']) == 2
        assert len(arm['test_top1_as_saved']) == 2
    for scorings in verdict['differences'].values():
        assert set(scorings) == {'precise_bn', 'as_saved'}
        assert scorings['precise_bn']['preregistered'] in {
            'gain', 'no gain of 0.5 points or more', 'inconclusive'}
    # The route-constrained arm ran on validation first, its stages at the
    # quarter points of the shipped plain teacher's 10 epochs (3, 5, 8, 10).
    assert set(verdict['staged_val']) == {'kd_w05', 'kd_w025', 'route'}
    route_log = next(runs.glob('pwkd-route-kd_resnet20_resnet8_*/pc100_e30/'
                               'resnet20_route/seed0/*/*.log')).read_text()
    assert 'teacher checkpoint' in route_log
    route = REPO / 'checkpoints' / 'resnet20_1xb128_fmnist-teacher'
    for epoch in (3, 5, 8, 10):
        assert str(route / f'epoch_{epoch}.pth') in route_log
    assert not (tmp_path / 'runs' / 'teacher').exists()
    # The equal-cost KD's epochs come from the cost ratio measured side by
    # side: the stage widths' steps against the whole teacher's.
    cost = verdict['equal_cost']
    assert cost['cell'] == best and 0 < cost['ratio'] < 2
    assert cost['inputs']['rounds'] == 30
    assert cost['epochs'] == max(1, round(30 * cost['ratio']))
    assert set(cost['measured']['step_seconds']) == {
        '0.25', '0.5', '0.75', '1.0'}
    assert results['arms']['kd_equal_cost']['cell'] == (
        f"pc100_e{cost['epochs']}")
    # Seed 0 of the gap phase's arms is reused; seed 1 and the equal-cost
    # KD are new.
    assert 'reused' in verdict_run.stdout
    assert '## Pre-registered final (test)' in (
        tmp_path / 'docs' / 'accuracy_tables.md').read_text()

    # Every finished run is recorded beside the results, the final's with
    # their test scores. With the work folders gone (another machine or
    # session), the final continues from the records alone: its own runs
    # and the gap phase's seed 0.
    record = json.loads(next((tmp_path / 'docs' / 'accuracy_records').glob(
        'kd_resnet20_resnet8_*/pc100_e30/resnet20/seed1.json')).read_text())
    assert set(record['test']) == {'precise_bn', 'as_saved'}
    assert record['val']['val_top1'] == results['arms']['kd']['val_top1'][1]
    # The measured cost ratio is recorded as soon as it is measured, so a
    # final killed before it wrote its results trains the same arm.
    shutil.rmtree(runs)
    killed = json.loads(out.read_text())
    del killed['verdict']
    out.write_text(json.dumps(killed))
    again = phase('verdict', 2)
    assert again.stdout.count(', 0 to train') == 2, again.stdout
    after = json.loads(out.read_text())
    assert after['arms'] == results['arms']
    assert after['verdict']['differences'] == verdict['differences']
    assert after['verdict']['equal_cost'] == cost  # reused, not re-timed
    assert 'reusing the measured cost ratio' in again.stdout
    # The phase counts its own runs: seed 1 of the four arms the gap phase
    # ran, both seeds of the equal-cost KD and the route arm's seed 0.
    assert verdict['runs'] == (7 if cost['epochs'] != 30 else 6)
    assert verdict['run_seconds'] > 0

    # After the final, KD at the lengths the runs' own clocks give
    # PWKD + KD's time, judged against it (not pre-registered).
    phase('cost_check', 2)
    check = json.loads(out.read_text())['cost_check']
    assert check['preregistered'] is False and check['seeds'] == [0, 1]
    assert check['ratios']['gap_runs'] == cost['runs_ratio']
    assert set(check['differences']) == {f'pwkd - kd_e{n}'
                                         for n in check['epochs']}
    for n in check['epochs']:
        assert check['arms'][f'kd_e{n}']['cell'] == f'pc100_e{n}'
        assert len(check['arms'][f'kd_e{n}']['test_top1']) == 2
    assert '## Equal cost by the runs\' clocks' in (
        tmp_path / 'docs' / 'accuracy_tables.md').read_text()
