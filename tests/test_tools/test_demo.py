"""tools/benchmark/demo.py end to end on synthetic Fashion-MNIST-format
files, with the shipped teacher and with a teacher trained on the spot."""
import json
import sys

import pytest

from conftest import REPO, run_tool

pytestmark = pytest.mark.slow

TINY = ('train_dataloader.dataset.per_class=1', 'train_cfg.max_epochs=2',
        'train_cfg.val_interval=1', 'train_dataloader.batch_size=4')


def demo(work_dir, data_root, *extra):
    return run_tool([
        sys.executable,
        str(REPO / 'tools' / 'benchmark' / 'demo.py'), '--work-dir',
        str(work_dir), '--data-root', str(data_root), *extra,
        '--cfg-options', *TINY
    ], timeout=900)


def test_demo_distils_with_the_shipped_teacher(tmp_path, fake_fashion_mnist):
    work_dir = tmp_path / 'demo'
    proc = demo(work_dir, fake_fashion_mnist)
    results = json.loads((work_dir / 'results.json').read_text())
    # Every arm scored with BN statistics re-estimated and as saved.
    assert set(results) == {'precise_bn', 'as_saved'}
    for scores in results.values():
        assert set(scores) == {'student', 'kd', 'pwkd'}
        assert all(len(values) == 1 for values in scores.values())
    # One progress line per validated epoch of each run, then its end.
    for arm in results['as_saved']:
        assert f'{arm} seed 0: epoch ' in proc.stdout
        assert f'{arm} seed 0: done, val' in proc.stdout
    log = next(work_dir.glob('runs/kd_*/*/base/seed0/train.log')).read_text()
    assert 'slimmable-resnet20_1xb128_fmnist-teacher.pth' in log
    table = (work_dir / 'results.md').read_text()
    assert '| PWKD + KD | BN re-estimated |' in table
    assert '| PWKD + KD | as saved |' in table and 'benchmark' in table
    assert table in proc.stdout
    assert (work_dir / 'demo.png').stat().st_size > 10_000

    again = demo(work_dir, fake_fashion_mnist)
    assert '3 runs, 3 reused, 0 to train' in again.stdout


def test_demo_can_train_its_teacher(tmp_path, fake_fashion_mnist):
    work_dir = tmp_path / 'demo'
    proc = demo(work_dir, fake_fashion_mnist, '--train-teacher')
    assert 'training the teacher' in proc.stdout
    assert 'training the slimmable teacher' in proc.stdout
    log = next(work_dir.glob('runs/kd_*/*/base/seed0/train.log')).read_text()
    assert str(work_dir / 'slimmable') in log
