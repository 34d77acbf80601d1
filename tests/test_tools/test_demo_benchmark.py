"""What the demo sets its runs beside: the benchmark's pre-registered final
(the same configs in the same regime, judged by paired intervals) where
it has run, else the first study's final table."""
import json

import pytest

from conftest import REPO


@pytest.fixture
def demo(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(REPO / 'tools' / 'benchmark'))
    import demo
    monkeypatch.setattr(demo, 'BENCHMARK', tmp_path / 'accuracy.json')
    return demo


def arm(values, scoring=None):
    """An arm of the final (scored both ways) or, without ``scoring``, of
    the first study (scored as saved, into ``test_top1``)."""
    if scoring is None:
        return dict(test_top1=values)
    return dict(test_top1=values, scoring=scoring,
                test_top1_as_saved=[v - 1 for v in values])


FIRST_STUDY = dict(final=dict(
    arms=dict(student=arm([77.0, 77.2]), kd=arm([79.0, 79.4]),
              pwkd_best=arm([79.1, 78.9]), pwkd_paper=arm([70.0, 71.0])),
    differences={
        'kd - student': dict(diff=2.1, two_pooled_std=1.7, t=7.8,
                             verdict='better'),
        'pwkd_best - kd': dict(diff=-0.2, two_pooled_std=2.0, t=-1.0,
                               verdict='no difference')}))


def interval(diff, low, high, words):
    return dict(diff=diff, ci95=[low, high], preregistered=words)


def demo_arm(values, config):
    return dict(arm(values, 'precise_bn'), config=config, cell='pc100_e30')


FINAL = dict(
    FIRST_STUDY,
    arms=dict(
        student=demo_arm([76.0, 76.4], 'resnet8_1xb128_fmnist-student.py'),
        kd=demo_arm([78.0, 78.2], 'kd_resnet20_resnet8_1xb128_fmnist-'
                    'student.py'),
        pwkd=demo_arm([78.5, 78.1], 'pwkd-kd_resnet20_resnet8_1xb128_'
                      'fmnist-student.py'),
        kd_w025=arm([60.0, 61.0], 'precise_bn')),
    verdict=dict(seeds=[0, 1], differences={
        'kd - student': dict(precise_bn=interval(1.9, 0.4, 3.4, 'gain')),
        'pwkd - kd': dict(precise_bn=interval(0.2, -0.5, 0.9,
                                              'inconclusive'))}))


def test_the_demo_reads_the_pre_registered_final(demo):
    demo.BENCHMARK.write_text(json.dumps(FINAL))
    scores = {name: demo.benchmark_scores(a)
              for name, a in demo.benchmark_arms().items()}
    assert scores['pwkd']['precise_bn'] == '78.30 +- 0.28 (n=2)'
    assert scores['pwkd']['as_saved'] == '77.30 +- 0.28 (n=2)'
    assert scores['student']['precise_bn'].startswith('76.20')
    assert demo.verdicts() == [
        '  KD - student alone: +1.90 points, 95% interval [+0.40, +3.40] '
        'over 2 paired seeds: gain',
        '  PWKD + KD - KD: +0.20 points, 95% interval [-0.50, +0.90] over '
        '2 paired seeds: inconclusive']


def test_the_replication_is_quoted_beside_the_final(demo):
    result = dict(interval(0.1, -0.3, 0.4, 'inconclusive'),
                  replication='within 0.5 points')
    replicated = dict(FINAL, replication=dict(
        seeds=list(range(10, 30)), preregistered=True,
        differences={'pwkd - kd': dict(precise_bn=result)}))
    demo.BENCHMARK.write_text(json.dumps(replicated))
    assert demo.verdicts()[2] == (
        '  PWKD + KD - KD, replicated over 20 new seeds (10-29): +0.10 '
        'points, 95% interval [-0.30, +0.40]: within 0.5 points')
    # Not a run with fewer seeds than registered, and not beside the first
    # study's table (other configs or another regime).
    replicated['replication']['preregistered'] = False
    demo.BENCHMARK.write_text(json.dumps(replicated))
    assert len(demo.verdicts()) == 2
    replicated['replication']['preregistered'] = True
    del replicated['verdict']
    demo.BENCHMARK.write_text(json.dumps(replicated))
    assert len(demo.verdicts()) == 2


def test_without_a_final_the_demo_reads_the_first_study(demo):
    demo.BENCHMARK.write_text(json.dumps(FIRST_STUDY))
    arms = demo.benchmark_arms()
    # The first study scored as saved; its PWKD arm is the chosen recipe.
    assert demo.benchmark_scores(arms['pwkd']) == {
        'as_saved': '79.00 +- 0.14 (n=2)'}
    assert demo.verdicts()[1] == (
        '  PWKD + KD - KD: -0.20 points (twice the pooled std 2.00, paired '
        't -1.00): no difference')


def test_a_final_in_another_regime_is_not_the_demos(demo):
    """Had the gap phase chosen another cell, the final's arms are other
    runs: the demo keeps to the first study's table of its own regime."""
    other = json.loads(json.dumps(FINAL))
    for bench in other['arms'].values():
        bench['cell'] = 'pc500_e40'
    demo.BENCHMARK.write_text(json.dumps(other))
    assert demo.benchmark_scores(demo.benchmark_arms()['kd']) == {
        'as_saved': '79.20 +- 0.28 (n=2)'}
    assert 'twice the pooled std' in demo.verdicts()[0]
