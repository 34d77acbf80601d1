"""tools/benchmark/accuracy.py, all three phases, on synthetic
Fashion-MNIST-format files: the pilot picks a regime, the study picks
recipes on validation, the final table scores the test set; each phase
reuses the runs of the others and a repeated phase trains nothing. No
accuracy is asserted."""
import json
import sys

import pytest

from conftest import REPO, run_tool, write_fake_fashion_mnist

pytestmark = pytest.mark.slow

STUDY_ARMS = {
    'kd', 'pwkd_paper', 'pwkd_no_restart', 'pwkd_damped', 'pwkd_warmup',
    'pwkd_whole', 'pwkd_backloaded', 'pwkd_short', 'pwkd_2stages',
    'pwkd_gradual', 'pwkd_teacher_1ep', 'pwkd_teacher_inplace', 'dkd_warmup',
    'dkd_no_warmup'
}
FINAL_ARMS = {'student', 'kd', 'pwkd_paper', 'pwkd_best', 'dkd', 'pwkd_dkd'}


def test_accuracy_benchmark_phases(tmp_path):
    (tmp_path / 'data').mkdir()
    data = write_fake_fashion_mnist(tmp_path / 'data', train=240, test=20)
    out = tmp_path / 'docs' / 'accuracy.json'

    def phase(name, *extra):
        return run_tool([
            sys.executable,
            str(REPO / 'tools' / 'benchmark' / 'accuracy.py'), name,
            '--work-dir', str(tmp_path / 'runs'), '--data-root', str(data),
            '--out', str(out), '--cfg-options',
            'train_dataloader.batch_size=4', *extra
        ], timeout=1200)

    pilot = phase('pilot', '--cells', '1x4', '2x4', '--seeds', '1',
                  '--confirm-seeds', '2')
    results = json.loads(out.read_text())
    section = results['pilot']
    assert set(section['cells']) == {'pc1_e4', 'pc2_e4'}
    assert section['split'] == 'val'
    assert len(section['taus']) == 4  # taus 2 and 8 on both cells
    assert section['chosen']['cell'] in section['cells']
    assert 'chosen regime' in pilot.stdout
    for confirmed in section['confirmations']:
        assert confirmed['seeds'] == [0, 1]
    teachers = results['teachers']
    assert set(teachers['slimmable']['test']) >= {
        'accuracy/top1_w0.25', 'accuracy/top1_w1.0'}

    phase('study', '--seeds', '1')
    results = json.loads(out.read_text())
    study = results['study']
    assert set(study['arms']) == STUDY_ARMS
    assert study['best_lr'] in {'pwkd_paper', 'pwkd_no_restart',
                                'pwkd_damped', 'pwkd_warmup'}
    assert study['best_recipe']['name'] in STUDY_ARMS
    assert set(results['teachers']) == {
        'teacher', 'slimmable', 'slimmable_1ep', 'slimmable_inplace'}
    cell = section['chosen']
    # The second round carries the first round's best LR shape.
    shaped = study['arms']['pwkd_backloaded']
    assert shaped['options'] == study['arms'][study['best_lr']]['options']
    gradual_log = (tmp_path / 'runs' / 'runs' /
                   'pwkd-kd-gradual_resnet20_resnet8_1xb128_fmnist-student'
                   / cell['cell'] / 'base' / 'seed0' / 'train.log')
    assert '(gradual)' in gradual_log.read_text()

    final = phase('final', '--seeds', '2')
    results = json.loads(out.read_text())
    arms = results['final']['arms']
    assert set(arms) == FINAL_ARMS
    for arm in arms.values():
        assert arm['seeds'] == [0, 1] and len(arm['test_top1']) == 2
        assert len(arm['test_top1_as_saved']) == 2
    assert 'loss_dkd' in (tmp_path / 'runs' / 'runs' / arms['pwkd_dkd'][
        'config'].replace('.py', '') / cell['cell'] / arms['pwkd_dkd']['tag']
                          / 'seed0' / 'train.log').read_text()
    assert results['final']['split'] == 'test'
    assert 'pwkd_best - kd' in results['final']['differences']
    assert set(results['final']['learning_speed']) == FINAL_ARMS
    tables = (out.parent / 'accuracy_tables.md').read_text()
    assert '## Final table (test)' in tables and tables in final.stdout
    assert (out.parent / 'accuracy.png').stat().st_size > 10_000
    assert (out.parent / 'accuracy_pilot.png').stat().st_size > 10_000

    again = phase('final', '--seeds', '2')
    # Every run is reused: 12, or 10 where the study's best recipe is the
    # paper's (then its arm and the paper recipe's are the same runs; tiny
    # runs pick a recipe by chance, and so by machine).
    runs = 10 if study['best_recipe']['name'] == 'pwkd_paper' else 12
    assert f'{runs} runs, {runs} reused, 0 to train' in again.stdout
    assert json.loads(out.read_text())['final']['arms'] == arms
