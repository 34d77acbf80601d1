"""Every entry point that reads a checkpoint refuses a malicious pickle
without running it: ``load_from``, ``tools/train.py --resume``,
``tools/test.py`` and ``export_width.py`` here; ``teacher_ckpt`` and
``extract_student.py`` next to their code (``test_pwkd_distiller.py`` and
``test_extract_student.py``, tests named ``test_malicious_*``).
"""
import os
import pickle
import sys
from pathlib import Path

import pytest
import torch
from mmengine.runner import Runner

import mmpwkd  # noqa: F401  (registers the allowlist)
from mmpwkd.utils import register_all_modules

from conftest import REPO, load_tool

CONFIG = str(REPO / 'tests' / 'data' / 'tiny_cls.py')
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


class _SystemCall:
    """Unpickles to ``os.system(command)``: what a hostile file would do."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


@pytest.fixture
def hostile(tmp_path) -> Path:
    """A checkpoint whose ``meta`` runs ``touch pwned`` when unpickled."""
    path = tmp_path / 'hostile.pth'
    marker = tmp_path / 'pwned'
    torch.save(
        dict(
            state_dict=dict(w=torch.zeros(1)),
            meta=_SystemCall(f'touch {marker}')), path)
    return path


def _refused(error: pytest.ExceptionInfo, hostile: Path) -> None:
    """Refused by torch's weights-only unpickler; the payload never ran."""
    assert 'Weights only load failed' in str(error.value)
    assert 'system' in str(error.value)
    assert not (hostile.parent / 'pwned').exists()


def _data_options(root: Path):
    return [f'{loader}.dataset.data_root={root}' for loader in LOADERS]


def test_load_from(tmp_path, hostile):
    register_all_modules()
    runner = Runner(
        model=dict(type='ImageClassifier', backbone=dict(
            type='ResNet_CIFAR', depth=18, stem_channels=4,
            base_channels=4, num_stages=1, strides=(1, ),
            dilations=(1, ), out_indices=(0, ))),
        work_dir=str(tmp_path / 'work'),
        experiment_name='load_from',
        load_from=str(hostile),
        default_scope='mmpwkd',
        log_level='WARNING')
    with pytest.raises(pickle.UnpicklingError) as error:
        runner.load_or_resume()
    _refused(error, hostile)


def test_train_resume(tmp_path, hostile, image_folder, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [
        'train.py', CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--resume',
        str(hostile), '--cfg-options', 'log_level=WARNING',
        *_data_options(image_folder)
    ])
    with pytest.raises(pickle.UnpicklingError) as error:
        load_tool('tools/train.py').main()
    _refused(error, hostile)
    assert not list((tmp_path / 'work').glob('*.pth'))


def test_test_checkpoint(tmp_path, hostile, image_folder, monkeypatch):
    monkeypatch.setattr(sys, 'argv', [
        'test.py', CONFIG,
        str(hostile), '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', 'log_level=WARNING',
        *_data_options(image_folder)
    ])
    with pytest.raises(pickle.UnpicklingError) as error:
        load_tool('tools/test.py').main()
    _refused(error, hostile)


def test_export_width(tmp_path, hostile):
    config = tmp_path / 'slimmable.py'
    config.write_text(
        "model = dict(type='SlimmableClassifier', widths=(0.5, 1.0), "
        "backbone=dict(type='ResNet_CIFAR', depth=18, stem_channels=4, "
        'base_channels=4, num_stages=1, strides=(1, ), dilations=(1, ), '
        "out_indices=(0, )), neck=dict(type='GlobalAveragePooling'), "
        "head=dict(type='LinearClsHead', num_classes=2, in_channels=4))\n")
    out = tmp_path / 'out'
    with pytest.raises(pickle.UnpicklingError) as error:
        load_tool('tools/model_converters/export_width.py').main([
            str(config), str(hostile), '--width', '0.5', '--out', str(out)
        ])
    _refused(error, hostile)
    assert not out.exists()


def test_environment_cannot_turn_off_safe_loading(hostile, monkeypatch):
    """``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns torch's default off;
    mmengine's loader of local files, replaced by ours, stays safe."""
    from mmengine.runner.checkpoint import CheckpointLoader
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    with pytest.raises(pickle.UnpicklingError) as error:
        CheckpointLoader.load_checkpoint(str(hostile), map_location='cpu')
    _refused(error, hostile)


def _url_schemes():
    """One checkpoint path per URL scheme mmengine accepts, with the file
    name torch.hub caches it under."""
    from mmengine.runner.checkpoint import (get_external_models,
                                            get_mmcls_models,
                                            get_torchvision_models)
    paths = [('https://example.invalid/teacher.pth', 'teacher.pth'),
             ('http://example.invalid/student.pth', 'student.pth')]
    for prefix, models in (('mmcls://', get_mmcls_models()),
                           ('torchvision://', get_torchvision_models()),
                           ('open-mmlab://', get_external_models())):
        name, url = next((k, v) for k, v in sorted(models.items())
                         if str(v).startswith('http'))
        paths.append((f'{prefix}{name}', url.rsplit('/', 1)[1]))
    return paths


@pytest.mark.parametrize('path, cached', _url_schemes())
def test_url_checkpoints_are_loaded_weights_only(tmp_path, monkeypatch,
                                                 hostile, path, cached):
    """A hostile file behind a URL (placed in torch.hub's cache under the
    URL's file name, so no network is needed) is refused, even with
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``, through
    mmengine's own loader as ``load_from``, ``init_cfg`` and
    ``teacher_ckpt`` call it."""
    from mmengine.runner.checkpoint import CheckpointLoader
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch'))
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    cache = tmp_path / 'torch' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    (cache / cached).write_bytes(hostile.read_bytes())
    with pytest.raises(pickle.UnpicklingError) as error:
        CheckpointLoader.load_checkpoint(path, map_location='cpu')
    _refused(error, hostile)


@pytest.fixture
def zoo_name(tmp_path, monkeypatch, hostile) -> str:
    """An ``open-mmlab://`` name that mmengine's model zoo maps to a local
    file (a relative path in ``$MMENGINE_HOME/open_mmlab.json``): the
    hostile checkpoint."""
    home = tmp_path / 'mmengine_home'
    home.mkdir()
    (home / 'zoo.pth').write_bytes(hostile.read_bytes())
    (home / 'open_mmlab.json').write_text('{"hostile_model": "zoo.pth"}')
    monkeypatch.setenv('MMENGINE_HOME', str(home))
    monkeypatch.setenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
    return 'open-mmlab://hostile_model'


def _refused_here(error: pytest.ExceptionInfo, tmp_path: Path) -> None:
    assert 'Weights only load failed' in str(error.value)
    assert not (tmp_path / 'pwned').exists()


@pytest.mark.parametrize('prefix', ['open-mmlab://', 'openmmlab://'])
def test_zoo_name_of_a_local_file_follows_the_local_file_rule(
        tmp_path, zoo_name, prefix):
    """With ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` a local path is refused;
    a model-zoo name that maps to a local file is refused the same way."""
    from mmengine.runner.checkpoint import CheckpointLoader
    name = zoo_name.replace('open-mmlab://', prefix)
    with pytest.raises(pickle.UnpicklingError) as error:
        CheckpointLoader.load_checkpoint(name, map_location='cpu')
    _refused_here(error, tmp_path)


def test_zoo_name_as_load_from(tmp_path, zoo_name):
    register_all_modules()
    runner = Runner(
        model=dict(type='ImageClassifier', backbone=dict(
            type='ResNet_CIFAR', depth=18, stem_channels=4,
            base_channels=4, num_stages=1, strides=(1, ),
            dilations=(1, ), out_indices=(0, ))),
        work_dir=str(tmp_path / 'work'),
        experiment_name='zoo_load_from',
        load_from=zoo_name,
        default_scope='mmpwkd',
        log_level='WARNING')
    with pytest.raises(pickle.UnpicklingError) as error:
        runner.load_or_resume()
    _refused_here(error, tmp_path)
