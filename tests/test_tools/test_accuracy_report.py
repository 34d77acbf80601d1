"""The accuracy benchmark's report: the gap grid and the pre-registered
final come out as tables and as forest plots of their paired differences
(seeds, mean, 95% interval), built from the JSON the phases write."""
import pytest

from conftest import REPO

SEEDS = [0, 1, 2]


@pytest.fixture
def report(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / 'tools' / 'benchmark'))
    import accuracy_report
    import accuracy_stats
    return accuracy_report, accuracy_stats


def arm(values, label='arm'):
    return dict(label=label, val_top1=values,
                val_mean=sum(values) / len(values), val_std=0.1)


def gap_section(stats) -> dict:
    vals = dict(student=[88.0, 88.2, 88.4], kd=[89.0, 89.4, 89.6],
                kd_w05=[89.1, 89.3, 89.5], kd_w025=[87.0, 87.4, 87.2],
                pwkd=[89.9, 89.2, 89.0])
    pairs = ('kd - student', 'kd_w05 - kd', 'kd_w025 - kd', 'pwkd - kd',
             'pwkd - student')
    cell = dict(
        student='resnet8', teacher='resnet20', per_class=500, epochs=40,
        iterations=1600, arms={k: arm(v) for k, v in vals.items()},
        differences={p: stats.paired_interval(*(vals[a] for a in
                                                p.split(' - ')))
                     for p in pairs},
        student_last_tenth_change=0.1, qualified=True)
    return dict(split='val', seeds=SEEDS, cells={'r20-r8': cell},
                best_cell='r20-r8', runs=15, run_seconds=15 * 720)


def test_the_gap_grid_is_tabled_and_plotted(report, tmp_path):
    accuracy_report, stats = report
    results = dict(gap=gap_section(stats))
    tables = accuracy_report.write(results, tmp_path).read_text()
    assert '| r20-r8 | pwkd - kd | +0.03 |' in tables
    assert '15 runs, 3.0 h of run time in all' in tables
    assert (tmp_path / 'accuracy_gap.png').stat().st_size > 10_000


def test_the_final_is_tabled_and_plotted(report, tmp_path):
    accuracy_report, stats = report
    seeds = list(range(10))
    test = dict(kd=[89.0 + 0.1 * s for s in seeds],
                pwkd=[89.2 + 0.1 * s for s in seeds[::-1]])
    arms = {name: dict(label=name, test_top1=v, test_top1_as_saved=v,
                       test_mean=sum(v) / 10, test_std=0.3)
            for name, v in test.items()}
    diff = stats.paired_interval(test['pwkd'], test['kd'])
    as_saved = stats.paired_interval([v - 1.0 for v in test['pwkd']],
                                     test['kd'])
    results = dict(
        gap=gap_section(stats), arms=arms,
        verdict=dict(cell='r20-r8', seeds=seeds, best_staged='kd_w05',
                     seed_rule=dict(paired_sd=0.45, cells=5, seeds=10),
                     staged_val=dict(kd_w05=arm([89.1, 89.3, 89.5], 'w05')),
                     differences={'pwkd - kd': dict(precise_bn=diff,
                                                    as_saved=as_saved)},
                     equal_cost=dict(
                         ratio=0.8, epochs=24, runs_ratio=0.83,
                         measured=dict(
                             rounds=30, batch_size=128, threads=1,
                             spread=dict(q1=0.79, q3=0.81),
                             step_seconds={'0.25': 0.05, '1.0': 0.1})),
                     runs=40, run_seconds=40 * 180))
    tables = accuracy_report.write(results, tmp_path).read_text()
    assert f'**{diff["preregistered"]}**' in tables
    assert '10 seeds: the seed rule asked for 10' in tables
    # How much of PWKD's difference the BN statistics explain, the
    # equal-cost arm's length and the phase's cost are said in words.
    moved = diff['diff'] - as_saved['diff']
    assert f'the re-estimation moves it by {moved:+.2f} points' in tables
    assert 'costs 0.800 of KD\'s' in tables
    assert 'quartiles 0.790-0.810' in tables
    assert 'width 0.25: 50 ms, width 1.0: 100 ms' in tables
    assert 'KD at equal cost trains 24 epochs' in tables
    assert '40 runs, 2.0 h of run time in all' in tables
    assert ('BN statistics: PWKD + KD - KD is '
            f'{as_saved["diff"]:+.2f} as saved and {diff["diff"]:+.2f} with '
            'them re-estimated') in tables
    assert '## Equal cost by the runs\' clocks' not in tables

    # The check after the final, at the runs' own cost ratios.
    late = dict(arms['kd'], label='KD, 25 epochs')
    check = stats.paired_interval(test['pwkd'], late['test_top1'])
    results['cost_check'] = dict(
        ratios=dict(final_runs=0.836, gap_runs=0.925), epochs=[25, 28],
        arms=dict(kd_e25=late),
        differences={'pwkd - kd_e25': dict(precise_bn=check,
                                           as_saved=check)})
    tables = accuracy_report.write(results, tmp_path).read_text()
    assert ('0.836 (the final\'s runs), 0.925 (the gap phase\'s), so KD '
            'for 25 and 28 epochs') in tables
    assert (f'| pwkd - kd_e25 | precise_bn | {check["diff"]:+.2f} |'
            in tables)
    assert (tmp_path / 'accuracy_verdict.png').stat().st_size > 10_000


def test_the_replication_is_tabled_and_plotted(report, tmp_path):
    accuracy_report, _ = report
    import accuracy_replication
    seeds = list(range(10, 14))
    kd = [78.0, 79.0, 78.5, 79.5]
    test = dict(kd=kd, pwkd=[v + d for v, d in zip(kd, (0.3, -0.1, 0.2, 0))],
                kd_e28=[v - 0.4 for v in kd])
    arms = {name: dict(label=name, seeds=seeds, test_top1=v,
                       test_top1_as_saved=v, test_mean=sum(v) / 4,
                       test_std=0.5) for name, v in test.items()}
    earlier = {name: dict(a, seeds=[0, 1, 2, 3]) for name, a in arms.items()}
    together = {name: accuracy_replication.pooled(earlier[name], a)
                for name, a in arms.items()}
    section = dict(
        cell='r20-r8', seeds=seeds, cheap_epochs=28, arms=arms,
        preregistered=True,
        differences={f'pwkd - {b}': accuracy_replication.pair(
            arms['pwkd'], arms[b]) for b in ('kd', 'kd_e28')},
        pooled=dict(seeds=together['kd']['seeds'], differences={
            f'pwkd - {b}': accuracy_replication.pair(
                together['pwkd'], together[b], judge=False)
            for b in ('kd', 'kd_e28')}),
        runs=12, run_seconds=12 * 120)
    tables = accuracy_report.write(dict(replication=section),
                                   tmp_path).read_text()
    assert '## Replication over new seeds (test, pre-registered)' in tables
    new = section['differences']['pwkd - kd']['precise_bn']
    assert (f'| pwkd - kd | precise_bn | {new["diff"]:+.2f} | '
            f'{new["paired_sd"]:.2f} | {new["t"]:+.2f} | '
            f'[{new["ci95"][0]:+.2f}, {new["ci95"][1]:+.2f}] | '
            f'**{new["replication"]}** |') in tables
    assert 'All 8 seeds, the final\'s and the cost check\'s' in tables
    # The pooled rows carry an interval and no verdict.
    old = section['pooled']['differences']['pwkd - kd_e28']['as_saved']
    assert (f'| pwkd - kd_e28 | as_saved | {old["diff"]:+.2f} | '
            f'{old["paired_sd"]:.2f} | {old["t"]:+.2f} | '
            f'[{old["ci95"][0]:+.2f}, {old["ci95"][1]:+.2f}] |\n') in tables
    assert '12 runs, 0.4 h of run time in all' in tables
    assert (tmp_path / 'accuracy_replication.png').stat().st_size > 10_000

    # A run with fewer seeds than registered says so.
    section['preregistered'] = False
    tables = accuracy_report.write(dict(replication=section),
                                   tmp_path).read_text()
    assert ('## Replication over new seeds (test, fewer seeds than '
            'registered: not the registered comparison)') in tables


def test_the_gap_check_is_tabled_and_plotted_without_pooled_seeds(
        report, tmp_path):
    accuracy_report, _ = report
    import accuracy_replication
    seeds = list(range(30, 34))
    kd = [88.0, 89.0, 88.5, 89.5]
    test = dict(kd=kd, pwkd=[v + d for v, d in zip(kd, (-0.6, -0.4, -0.7,
                                                        -0.5))],
                kd_e31=[v - 0.3 for v in kd])
    arms = {name: dict(label=name, seeds=seeds, test_top1=v,
                       test_top1_as_saved=v, test_mean=sum(v) / 4,
                       test_std=0.5) for name, v in test.items()}
    section = dict(
        cell='resnet56-resnet8_pc500_e40', seeds=seeds, cheap_epochs=31,
        cost_basis='this cell\'s gap runs', arms=arms, preregistered=True,
        differences={f'pwkd - {b}': accuracy_replication.pair(
            arms['pwkd'], arms[b]) for b in ('kd', 'kd_e31')},
        runs=12, run_seconds=12 * 900)
    tables = accuracy_report.write(dict(gap_check=section),
                                   tmp_path).read_text()
    assert '## A larger capacity gap (test, pre-registered)' in tables
    assert ('KD for 31 epochs takes PWKD + KD\'s training time by this '
            'cell\'s gap runs') in tables
    new = section['differences']['pwkd - kd']['precise_bn']
    assert new['replication'] == 'loss'
    assert (f'| pwkd - kd | precise_bn | {new["diff"]:+.2f} | '
            f'{new["paired_sd"]:.2f} | {new["t"]:+.2f} | '
            f'[{new["ci95"][0]:+.2f}, {new["ci95"][1]:+.2f}] | '
            '**loss** |') in tables
    assert 'pooled' not in tables
    assert '12 runs, 3.0 h of run time in all' in tables
    assert (tmp_path / 'accuracy_gap_check.png').stat().st_size > 10_000
