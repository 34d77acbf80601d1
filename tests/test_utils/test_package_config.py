"""A ``pkg::`` config path of a package that is not installed is refused
with a clear message, and nothing is installed (no pip subprocess)."""
import os
import subprocess
from typing import List

import mmengine.utils.package_utils as package_utils
import pytest
from mmengine.config import Config
from mmengine.config.utils import MODULE2PACKAGE

import mmpwkd.utils.package_config as package_config
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

R18 = 'mmpretrain::resnet/resnet18_8xb32_in1k.py'
MISSING = 'mmnotinstalled'


@pytest.fixture
def subprocesses(monkeypatch) -> List[object]:
    """Every subprocess started (none runs), and a package that mmengine
    knows but that is not installed."""
    started: List[object] = []

    def record(*args, **kwargs):
        started.append(args)
        raise AssertionError(f'a subprocess was started: {args}')

    for name in ('Popen', 'run', 'call', 'check_call', 'check_output'):
        monkeypatch.setattr(subprocess, name, record)
    monkeypatch.setattr(os, 'system', record)
    monkeypatch.setitem(MODULE2PACKAGE, MISSING, MISSING)
    return started


def build(teacher: dict):
    return MODELS.build(
        dict(type='PWKDDistiller', student=dict(cfg_path=R18),
             teacher=teacher, allow_untrained_teacher=True))


def test_missing_package_is_refused_not_installed(subprocesses):
    path = f'{MISSING}::resnet/resnet34_8xb32_in1k.py'
    with pytest.raises(ValueError) as info:
        build(dict(cfg_path=path))
    assert subprocesses == []
    message = str(info.value)
    assert f'model.teacher.cfg_path={path!r}' in message
    assert f"the package '{MISSING}' is not installed" in message
    assert 'mmpwkd installs nothing' in message


def test_mmcls_points_to_mmpretrain(subprocesses, monkeypatch):
    # As on a machine without mmcls, whatever this one holds.
    def installed(package):
        return package != 'mmcls'

    monkeypatch.setattr(package_utils, 'is_installed', installed)
    monkeypatch.setattr(package_config, 'is_installed', installed)
    path = 'mmcls::resnet/resnet34_8xb32_in1k.py'
    with pytest.raises(ValueError) as info:
        build(dict(cfg_path=path))
    assert subprocesses == []
    assert "write 'mmpretrain::resnet/resnet34_8xb32_in1k.py'" in str(
        info.value)


def test_unknown_package_prefix_names_the_known_ones(subprocesses):
    with pytest.raises(ValueError, match="'mmnosuch' is not a package"):
        build(dict(cfg_path='mmnosuch::resnet/r.py'))
    assert subprocesses == []


def test_base_of_a_missing_package(subprocesses, tmp_path):
    """A local config whose ``_base_`` names a missing package: what our
    tools' ``Config.fromfile`` and a ``cfg_path`` both read."""
    path = tmp_path / 'child.py'
    path.write_text(f"_base_ = ['{MISSING}::resnet/resnet34.py']\n")
    with pytest.raises(ModuleNotFoundError, match='not installed'):
        Config.fromfile(str(path))
    with pytest.raises(ValueError) as info:
        build(dict(cfg_path=str(path)))
    assert subprocesses == []
    assert 'model.teacher.cfg_path=' in str(info.value)
    assert "write 'mmpretrain::'" in str(info.value)


def test_installed_package_config_still_reads(subprocesses):
    model = build(dict(cfg_path=R18))
    assert model.teacher.backbone.depth == 18
    assert subprocesses == []


def test_distillation_config_as_a_teacher_names_the_key():
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    path = os.path.join(root, 'configs', 'kd',
                        'kd_resnet34_resnet18_8xb32_in1k.py')
    with pytest.raises(ValueError) as info:
        build(dict(cfg_path=path))
    message = str(info.value)
    assert message.startswith(f'model.teacher.cfg_path={path!r} is a '
                              "distillation config (its model is a "
                              "'PWKDDistiller'")
