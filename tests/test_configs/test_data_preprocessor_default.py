"""Every config trains with BatchedClsDataPreprocessor: named in
a shared base, or the distiller's default."""
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmpwkd.models import BatchedClsDataPreprocessor
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

REPO = Path(__file__).resolve().parents[2]
LEAVES = sorted(
    path for path in (REPO / 'configs').rglob('*.py')
    if '_base_' not in path.parts)


def model_cfg(path: Path) -> dict:
    """The model config as mmengine's Runner builds it: the top-level
    data_preprocessor fills in the model's."""
    cfg = Config.fromfile(str(path))
    model = cfg.model.to_dict()
    if cfg.get('data_preprocessor') is not None:
        model.setdefault('data_preprocessor',
                         cfg.data_preprocessor.to_dict())
    return model


def test_there_are_configs() -> None:
    assert len(LEAVES) > 20


def built_preprocessor(model: dict) -> object:
    """The data preprocessor of ``model`` as the registry builds it (the
    teacher checkpoint left out: it does not choose the preprocessor)."""
    model = dict(model, teacher_ckpt=None)
    with DefaultScope.overwrite_default_scope('mmpwkd'):
        return MODELS.build(model).data_preprocessor


@pytest.mark.parametrize(
    'path', LEAVES, ids=[str(p.relative_to(REPO)) for p in LEAVES])
def test_batched_preprocessor_everywhere(path: Path) -> None:
    """A config that names no preprocessor is built, so that whatever
    default the distiller applies is what is checked."""
    model = model_cfg(path)
    named = (model.get('data_preprocessor') or {}).get('type')
    if named is None:
        assert model['type'] == 'PWKDDistiller', (
            f'{path.relative_to(REPO)}: a {model["type"]} with no '
            'data_preprocessor gets mmpretrain\'s default')
        built = built_preprocessor(model)
        assert isinstance(built, BatchedClsDataPreprocessor), (
            f'{path.relative_to(REPO)}: the distiller built a '
            f'{type(built).__name__}')
    else:
        assert named == 'BatchedClsDataPreprocessor', (
            f'{path.relative_to(REPO)}: data_preprocessor.type is '
            f"{named!r}, expected 'BatchedClsDataPreprocessor'")


def test_a_zoo_classifier_builds_it() -> None:
    model = model_cfg(REPO / 'configs' / 'cifar100' /
                      'resnet20_1xb64_cifar100.py')
    with DefaultScope.overwrite_default_scope('mmpwkd'):
        built = MODELS.build(model)
    assert isinstance(built.data_preprocessor, BatchedClsDataPreprocessor)
    assert built.data_preprocessor.mean is not None
