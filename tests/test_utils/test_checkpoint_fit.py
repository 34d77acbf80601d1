"""A checkpoint whose keys do not fit the model is an error before scoring,
naming the keys and the config that fits."""
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules
from mmpwkd.utils.checkpoint_fit import check_checkpoint_fits

from conftest import REPO, load_tool

CONFIG = str(REPO / 'tests' / 'data' / 'tiny_cls.py')


class _Distiller(nn.Module):

    def __init__(self) -> None:
        super().__init__()
        self.student = nn.Linear(2, 3)
        self.teacher = nn.Linear(2, 3)


def _save(path: Path, state_dict: dict, **meta) -> str:
    torch.save(dict(state_dict=state_dict, meta=meta), path)
    return str(path)


def test_fitting_checkpoint_passes(tmp_path):
    model = _Distiller()
    check_checkpoint_fits(model, _save(tmp_path / 'a.pth',
                                       model.state_dict()))
    ddp_keys = {f'module.{k}': v for k, v in model.state_dict().items()}
    check_checkpoint_fits(model, _save(tmp_path / 'b.pth', ddp_keys))


def test_extracted_student_under_a_distiller_config(tmp_path):
    path = _save(tmp_path / 'student.pth', nn.Linear(2, 3).state_dict())
    with pytest.raises(ValueError) as info:
        check_checkpoint_fits(_Distiller(), path)
    message = str(info.value)
    assert "does not fit the config's model _Distiller" in message
    assert ('4 of its 4 weights are missing (['
            "'student.bias', 'student.weight', 'teacher.bias', "
            "'teacher.weight'])") in message
    assert "2 of the checkpoint's 2 are unexpected (['bias', 'weight'])" in (
        message)
    assert "test it with the student's own config" in message


def test_distiller_checkpoint_under_a_classifier_config(tmp_path):
    path = _save(tmp_path / 'kd.pth', _Distiller().state_dict(),
                 run=dict(config='kd_tiny.py'))
    with pytest.raises(ValueError) as info:
        check_checkpoint_fits(nn.Linear(2, 3), path)
    message = str(info.value)
    assert "written by config 'kd_tiny.py'" in message
    assert "It is a distiller's checkpoint" in message
    assert 'extract_student.py' in message


def test_tensors_of_other_shapes_are_named_with_both_shapes(tmp_path):
    """Every key matches but the shapes do not: mmengine would warn and
    score the untouched weights."""
    model = _Distiller()
    other = {
        'student.weight': torch.zeros(5, 2),
        'student.bias': torch.zeros(5),
        'teacher.weight': torch.zeros(3, 2),
        'teacher.bias': torch.zeros(3),
    }
    with pytest.raises(
            ValueError,
            match=r"does not fit the config's model _Distiller: 2 tensors "
            r'differ in shape: student.weight: checkpoint \(5, 2\), model '
            r'\(3, 2\); student.bias: checkpoint \(5,\), model \(3,\)$'):
        check_checkpoint_fits(model, _save(tmp_path / 'a.pth', other))


def test_many_keys_are_counted_not_all_listed(tmp_path):
    model = nn.Sequential(*[nn.Linear(1, 1) for _ in range(8)])
    path = _save(tmp_path / 'empty.pth', {})
    with pytest.raises(ValueError, match=r"16 of its 16 weights are missing "
                       r"\(\[.*\] and 11 more\)"):
        check_checkpoint_fits(model, path)


def test_not_weights_is_refused(tmp_path):
    path = tmp_path / 'tensor.pth'
    torch.save(torch.zeros(2), path)
    with pytest.raises(ValueError, match='holds a Tensor, expected a dict'):
        check_checkpoint_fits(nn.Linear(2, 3), str(path))


def test_test_tool_stops_before_scoring(tmp_path, image_folder, monkeypatch):
    register_all_modules()
    model = MODELS.build(Config.fromfile(CONFIG).model)
    prefixed = {f'student.{k}': v for k, v in model.state_dict().items()}
    path = _save(tmp_path / 'distiller.pth', prefixed)
    loaders = ('train_dataloader', 'val_dataloader', 'test_dataloader')
    monkeypatch.setattr(sys, 'argv', [
        'test.py', CONFIG, path, '--work-dir', str(tmp_path / 'work'),
        '--cfg-options', 'log_level=WARNING',
        *[f'{loader}.dataset.data_root={image_folder}' for loader in loaders]
    ])
    with pytest.raises(ValueError, match="distiller's checkpoint"):
        load_tool('tools/test.py').main()

    _save(tmp_path / 'distiller.pth', model.state_dict())
    out = tmp_path / 'metrics.json'
    monkeypatch.setattr(
        sys, 'argv', sys.argv + ['--out', str(out), '--out-item', 'metrics'])
    load_tool('tools/test.py').main()
    assert 'accuracy/top1' in out.read_text()
