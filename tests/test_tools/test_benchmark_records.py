"""Records of the accuracy benchmark's finished runs: one is reused only
by the run that made it. A teacher is known by its content (moved, it is
the same run; retrained, a new one), the data by its files, a config by
its resolved text in any clone."""
import json
import runpy
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import REPO

accuracy_records = SimpleNamespace(**runpy.run_path(
    str(REPO / 'tools' / 'benchmark' / 'accuracy_records.py')))

CONFIG = REPO / 'configs' / 'benchmark' / 'fmnist' / \
    'kd_resnet20_resnet8_1xb128_fmnist-student.py'


@pytest.fixture
def records(tmp_path):
    accuracy_records.keep_in(tmp_path / 'records')
    yield tmp_path / 'records'
    accuracy_records.keep_in(None)


def key(teacher, data, seed=0):
    return accuracy_records.key(
        CONFIG, 'pc100_e30', seed,
        (f'model.teacher_ckpt={teacher}',
         f'train_dataloader.dataset.data_root={data}',
         'model.distill_losses.loss_kd.tau=2'))


def test_a_record_is_reused_by_its_own_run_only(records, tmp_path):
    data = tmp_path / 'data'
    data.mkdir()
    (data / 'train.gz').write_bytes(b'images')
    teacher = tmp_path / 'teacher.pth'
    teacher.write_bytes(b'weights')
    name = Path('kd') / 'pc100_e30' / 'base' / 'seed0'
    made_by = key(teacher, data)
    accuracy_records.save(name, made_by, val=dict(val_top1=80.0))
    accuracy_records.save(name, made_by, test=dict(precise_bn=79.0))
    accuracy_records.save(name, made_by, test=dict(as_saved=70.0))
    record = json.loads((records / name).with_suffix('.json').read_text())
    assert record['val'] == dict(val_top1=80.0)
    assert record['test'] == dict(precise_bn=79.0, as_saved=70.0)

    # The same teacher and data elsewhere: the same run.
    moved = tmp_path / 'elsewhere'
    moved.mkdir()
    shutil.copy(teacher, moved / 'teacher.pth')
    shutil.copytree(data, moved / 'data')
    assert accuracy_records.load(
        name, key(moved / 'teacher.pth', moved / 'data')) == record

    # Another teacher, other data, another seed or option: another run.
    (moved / 'teacher.pth').write_bytes(b'retrained')
    assert accuracy_records.load(
        name, key(moved / 'teacher.pth', data)) is None
    (moved / 'data' / 'train.gz').write_bytes(b'other images')
    assert accuracy_records.load(name, key(teacher, moved / 'data')) is None
    assert accuracy_records.load(name, key(teacher, data, seed=1)) is None
    assert made_by['options'][-1] == 'model.distill_losses.loss_kd.tau=2'


def test_a_config_is_known_by_its_resolved_text(tmp_path):
    """The digest is the same in another clone, and covers the bases a
    config inherits."""
    clone = tmp_path / 'clone'
    shutil.copytree(REPO / 'configs', clone / 'configs')
    copy = clone / CONFIG.relative_to(REPO)
    assert accuracy_records.config_digest(copy) == \
        accuracy_records.config_digest(CONFIG)
    base = copy.parent / 'resnet8_1xb128_fmnist-student.py'
    base.write_text(base.read_text() + '\nauto_scale_lr = dict(base=256)\n')
    accuracy_records.config_digest.cache_clear()
    assert accuracy_records.config_digest(copy) != \
        accuracy_records.config_digest(CONFIG)
