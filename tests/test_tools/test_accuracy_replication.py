"""The replication phase of tools/benchmark/accuracy.py: which runs it
trains (the final's cell and configs, new seeds, KD cut to the gap phase's
cost ratio), how it judges an interval against half a point either way,
and how it pools its seeds with the final's. Training and scoring are
replaced by recorders here; the benchmark smoke test trains the same
configs through the same functions in the final and the cost check."""
import argparse

import pytest

from conftest import REPO


@pytest.fixture
def replication(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO / 'tools' / 'benchmark'))
    import accuracy_replication
    return accuracy_replication


OFFSETS = dict(kd=0.0, pwkd=0.3, kd_e28=-1.0)


def scored(arm: str, seeds, offset: float) -> dict:
    """Per-seed scores; PWKD + KD's vary with the seed on their own, so that
    a pairing of the wrong seeds changes every difference."""
    noise = 0.1 * (arm == 'pwkd')
    values = [80.0 + offset + 0.1 * s + noise * (s % 3) for s in seeds]
    return dict(label=arm, seeds=list(seeds), test_top1=values,
                test_top1_as_saved=[v - 0.2 for v in values])


def paired(a, b):
    """Mean and sample sd of the per-seed differences."""
    diffs = [x - y for x, y in zip(a, b)]
    mean = sum(diffs) / len(diffs)
    sd = (sum((d - mean)**2 for d in diffs) / (len(diffs) - 1))**0.5
    return mean, sd


def stub_training(replication, monkeypatch, offsets, teacher, seconds):
    """Replace training and scoring by recorders: the runs handed to
    ``run_all`` go into the returned list, each arm scores as
    :func:`scored` with its offset, each run took ``seconds``."""
    trained = []

    def run_all(runs, root, jobs, scorings=()):
        trained.extend(runs)
        assert set(scorings) == {'precise_bn', 'as_saved'}

    def test_arm(rec, runs, root):
        return dict(rec, **scored(rec['name'], [r.seed for r in runs],
                                  offsets[rec['name']]))

    monkeypatch.setattr(replication, 'run_all', run_all)
    monkeypatch.setattr(replication, 'test_arm', test_arm)
    monkeypatch.setattr(replication, 'slimmable_teacher',
                        lambda *args: teacher)
    monkeypatch.setattr(replication, 'val_result',
                        lambda run, root: dict(seconds=seconds))
    return trained


def test_the_registered_runs_are_trained_and_judged(replication,
                                                    monkeypatch, tmp_path):
    trained = stub_training(replication, monkeypatch, OFFSETS,
                            tmp_path / 'teacher.pth', 100.0)
    cell = dict(student='resnet8', teacher='resnet20', per_class=100,
                epochs=30)
    results = dict(
        gap=dict(cells={'resnet20-resnet8_pc100_e30': cell}),
        verdict=dict(cell='resnet20-resnet8_pc100_e30', seeds=list(range(10))),
        arms={a: scored(a, range(10), OFFSETS[a]) for a in ('kd', 'pwkd')},
        cost_check=dict(ratios=dict(gap_runs=0.925, final_runs=0.836),
                        arms=dict(kd_e28=scored('kd_e28', range(10),
                                                OFFSETS['kd_e28']))))
    args = argparse.Namespace(seeds=None, jobs=2, retrain_teachers=False)

    section = replication.replication(args, tmp_path, ('data',), results)

    assert section['seeds'] == list(range(10, 30))
    assert section['cheap_epochs'] == 28
    # Seed by seed, the three arms of each: the final's configs in its
    # cell, and KD for 28 epochs.
    assert len(trained) == 60
    assert [r.seed for r in trained[:6]] == [10, 10, 10, 11, 11, 11]
    assert {(r.config, r.cell.slug) for r in trained} == {
        ('kd_resnet20_resnet8_1xb128_fmnist-student.py', 'pc100_e30'),
        ('pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py', 'pc100_e30'),
        ('kd_resnet20_resnet8_1xb128_fmnist-student.py', 'pc100_e28')}
    assert all(f'model.teacher_ckpt={tmp_path / "teacher.pth"}' in r.extra
               for r in trained)
    assert section['runs'] == 60 and section['run_seconds'] == 6000.0
    pwkd, kd, cut = (scored(a, range(10, 30), OFFSETS[a])
                     for a in ('pwkd', 'kd', 'kd_e28'))
    new = section['differences']['pwkd - kd']['precise_bn']
    assert (new['diff'], new['paired_sd']) == pytest.approx(
        paired(pwkd['test_top1'], kd['test_top1']))
    assert 'preregistered' not in new  # the final's rule is not this one's
    assert new['replication'] == replication.margin_verdict(*new['ci95'])
    against_cut = section['differences']['pwkd - kd_e28']['as_saved']
    assert (against_cut['diff'], against_cut['paired_sd']) == pytest.approx(
        paired(pwkd['test_top1_as_saved'], cut['test_top1_as_saved']))
    assert section['preregistered'] is True
    # Pooled with the final's seeds and the cost check's KD at 28 epochs,
    # seed by seed; reported, not judged.
    assert section['pooled']['seeds'] == list(range(30))
    everything = {a: scored(a, range(30), o) for a, o in OFFSETS.items()}
    for b in ('kd', 'kd_e28'):
        d = section['pooled']['differences'][f'pwkd - {b}']['precise_bn']
        assert (d['diff'], d['paired_sd']) == pytest.approx(paired(
            everything['pwkd']['test_top1'], everything[b]['test_top1']))
        assert 'replication' not in d and 'preregistered' not in d

    # Fewer seeds (a try-out) is not the registered comparison.
    args.seeds = 2
    assert replication.replication(args, tmp_path, ('data',),
                                   results)['preregistered'] is False


def test_arms_of_other_seeds_are_not_paired(replication):
    a = scored('pwkd', [0, 1], 0.0)
    with pytest.raises(ValueError, match='other seeds'):
        replication.pair(a, scored('kd', [0, 2], 0.0))


def test_the_cost_check_comes_first(replication, tmp_path):
    args = argparse.Namespace(seeds=None, jobs=2, retrain_teachers=False)
    with pytest.raises(SystemExit, match='cost check first'):
        replication.replication(args, tmp_path, (), dict(verdict={}))


@pytest.mark.parametrize('interval, verdict', [
    ((0.1, 0.4), 'gain'), ((0.6, 1.5), 'gain'), ((-0.9, -0.2), 'loss'),
    ((-0.4, 0.45), 'within 0.5 points'), ((-0.4, -0.1), 'loss'),
    ((-0.8, 0.3), 'no gain of 0.5 points or more'),
    ((-0.3, 0.9), 'no loss of 0.5 points or more'),
    ((-0.6, 0.6), 'inconclusive'), ((-0.5, 0.2), 'no gain of 0.5 points '
                                    'or more')])
def test_the_replication_verdict_reads_the_interval_against_half_a_point(
        replication, interval, verdict):
    assert replication.margin_verdict(*interval) == verdict


def test_a_seed_in_two_phases_is_not_pooled(replication):
    arm = dict(seeds=[0, 1], test_top1=[1.0, 2.0],
               test_top1_as_saved=[1.0, 2.0])
    with pytest.raises(ValueError, match='seed 0 is in two phases'):
        replication.pooled(arm, dict(arm, seeds=[0, 5]))


def test_the_gap_check_trains_its_cell_over_new_seeds(replication,
                                                      monkeypatch, tmp_path):
    offsets = dict(kd=0.0, pwkd=-0.5, kd_e31=-0.3)
    trained = stub_training(replication, monkeypatch, offsets,
                            tmp_path / 'resnet56.pth', 900.0)

    def timed(seconds):
        return dict(runs={str(s): dict(train_seconds=[1.0, t])
                          for s, t in enumerate(seconds)})

    # PWKD + KD took 0.775 of KD's time in the cell's own gap runs: KD is
    # cut to 31 of 40 epochs.
    cell = dict(student='resnet8', teacher='resnet56', per_class=500,
                epochs=40, arms=dict(kd=timed([1000.0, 1200.0]),
                                     pwkd=timed([800.0, 905.0])))
    results = dict(gap=dict(cells={
        'resnet56-resnet8_pc500_e40': cell,
        'resnet20-resnet8_pc100_e30': dict(cell, teacher='resnet20')}))
    args = argparse.Namespace(seeds=None, jobs=2, retrain_teachers=False)

    section = replication.gap_check(args, tmp_path, ('data',), results)

    assert section['cell'] == 'resnet56-resnet8_pc500_e40'
    assert section['seeds'] == list(range(30, 40))
    assert section['cost_ratio'] == pytest.approx(1705 / 2200)
    assert section['cheap_epochs'] == 31
    assert len(trained) == 30
    assert [r.seed for r in trained[:6]] == [30, 30, 30, 31, 31, 31]
    assert {(r.config, r.cell.slug, r.tag) for r in trained} == {
        ('kd_resnet20_resnet8_1xb128_fmnist-student.py', 'pc500_e40',
         'resnet56'),
        ('pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py', 'pc500_e40',
         'resnet56'),
        ('kd_resnet20_resnet8_1xb128_fmnist-student.py', 'pc500_e31',
         'resnet56')}
    assert all(f'model.teacher_ckpt={tmp_path / "resnet56.pth"}' in r.extra
               for r in trained)
    pwkd, kd = (scored(a, range(30, 40), offsets[a]) for a in ('pwkd', 'kd'))
    d = section['differences']['pwkd - kd']['precise_bn']
    assert (d['diff'], d['paired_sd']) == pytest.approx(
        paired(pwkd['test_top1'], kd['test_top1']))
    assert d['replication'] == replication.margin_verdict(*d['ci95'])
    assert set(section['differences']) == {'pwkd - kd', 'pwkd - kd_e31'}
    assert 'pooled' not in section  # no earlier test seeds in this cell
    assert section['preregistered'] is True
    assert section['runs'] == 30 and section['run_seconds'] == 27000.0

    args.seeds = 2
    assert replication.gap_check(args, tmp_path, ('data',),
                                 results)['preregistered'] is False
    with pytest.raises(SystemExit, match='gap phase first'):
        replication.gap_check(args, tmp_path, ('data',), {})
