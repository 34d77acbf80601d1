"""A student or teacher given by a config file (``cfg_path``), as MMRazor
allows, instead of restating its network."""
import pytest
import torch
from mmengine.hub import get_config
from mmpretrain.structures import DataSample

from mmpwkd.models import SlimmableClassifier
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

R18 = 'mmpretrain::resnet/resnet18_8xb32_in1k.py'
R34 = 'mmpretrain::resnet/resnet34_8xb32_in1k.py'
TEN = dict(head=dict(num_classes=10))


def _shapes(module: torch.nn.Module) -> dict:
    return {k: tuple(v.shape) for k, v in module.state_dict().items()}


def test_plain_and_slimmable_teachers_by_mmpretrain_config():
    distiller = MODELS.build(
        dict(
            type='PWKDDistiller',
            student=dict(cfg_path=R18, **TEN),
            teacher=dict(cfg_path=R34, type='SlimmableClassifier',
                         widths=(0.5, 1.0), **TEN),
            allow_untrained_widths=True))
    assert isinstance(distiller.teacher, SlimmableClassifier)
    assert distiller.teacher.widths == (0.5, 1.0)
    restated = get_config(R34).model
    restated.head.num_classes = 10
    plain = MODELS.build(restated)
    # The stock weights keep their keys; narrow BNs come on top.
    assert _shapes(plain).items() <= _shapes(distiller.teacher).items()
    assert distiller.student.backbone.depth == 18
    assert distiller.student.head.num_classes == 10
    distiller.set_teacher_width(0.5)
    losses = distiller.loss(
        torch.randn(2, 3, 32, 32),
        [s.set_gt_label(i) for i, s in enumerate(_samples(2))])
    assert torch.isfinite(losses['distill.loss_kd'])


def _samples(n: int) -> list:
    return [DataSample() for _ in range(n)]


def test_local_config_file_and_overrides(tmp_path):
    path = tmp_path / 'tiny.py'
    path.write_text(
        "model = dict(type='ImageClassifier', backbone=dict(type='ResNet_"
        "CIFAR', depth=18, base_channels=8, stem_channels=8, num_stages=2, "
        "strides=(1, 2), dilations=(1, 1), out_indices=(1, )), neck=dict("
        "type='GlobalAveragePooling'), head=dict(type='LinearClsHead', "
        "num_classes=4, in_channels=16))\n")
    distiller = MODELS.build(
        dict(type='PWKDDistiller',
             student=dict(cfg_path=str(path), head=dict(num_classes=3)),
             teacher=dict(cfg_path=str(path), head=dict(num_classes=3))))
    assert distiller.student.head.num_classes == 3
    assert distiller.student.backbone.base_channels == 8


@pytest.mark.parametrize('path, message', [
    ('mmpretrain::resnet/no_such.py', 'cannot be read'),
    ('missing_config.py', 'cannot be read'),
])
def test_unreadable_config_names_the_key(path, message):
    with pytest.raises(ValueError) as info:
        MODELS.build(dict(type='PWKDDistiller', student=dict(cfg_path=R18),
                          teacher=dict(cfg_path=path)))
    assert str(info.value).startswith(
        f'model.teacher.cfg_path={path!r} {message}')


def test_config_without_a_model_is_refused(tmp_path):
    path = tmp_path / 'data_only.py'
    path.write_text('train_dataloader = dict(batch_size=2)\n')
    with pytest.raises(ValueError, match=r"model.student.cfg_path='.*' has "
                       'no model to take'):
        MODELS.build(dict(type='PWKDDistiller',
                          student=dict(cfg_path=str(path)),
                          teacher=dict(cfg_path=R18)))
