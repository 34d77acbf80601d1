"""The teacher's weights come from teacher_ckpt or its own Pretrained
init_cfg; a teacher config with neither is refused before training."""
import pytest
import torch
from helpers import labelled_batch, resnet_classifier

from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()


def distiller(teacher: dict, **kwargs):
    return MODELS.build(
        dict(
            type='PWKDDistiller',
            student=resnet_classifier(18, 8),
            teacher=teacher,
            **kwargs))


@pytest.fixture
def trained_teacher(tmp_path):
    """A teacher whose weights differ from any fresh initialisation, and
    its checkpoint."""
    torch.manual_seed(1)
    teacher = MODELS.build(resnet_classifier(34, 16))
    with torch.no_grad():
        for param in teacher.parameters():
            param.add_(1.0)
    path = tmp_path / 'teacher.pth'
    torch.save(dict(state_dict=teacher.state_dict()), path)
    return teacher, str(path)


def test_pretrained_init_cfg_of_the_teacher_is_loaded(trained_teacher):
    teacher, path = trained_teacher
    model = distiller(
        resnet_classifier(
            34, 16, init_cfg=dict(type='Pretrained', checkpoint=path)))
    model.init_weights()
    for key, value in teacher.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value), key
    inputs, samples = labelled_batch()
    with torch.no_grad():
        assert torch.equal(model.teacher(inputs), teacher.eval()(inputs))


def test_pretrained_init_cfg_loads_strictly(tmp_path):
    other = MODELS.build(resnet_classifier(18, 16))
    path = tmp_path / 'r18.pth'
    torch.save(dict(state_dict=other.state_dict()), path)
    model = distiller(
        resnet_classifier(
            34, 16, init_cfg=dict(type='Pretrained', checkpoint=str(path))))
    with pytest.raises(ValueError, match='missing keys'):
        model.init_weights()


def test_teacher_without_weights_is_refused_before_training():
    model = distiller(resnet_classifier(34, 16))
    with pytest.raises(ValueError) as info:
        model.init_weights()
    message = str(info.value)
    assert 'model.teacher_ckpt' in message
    assert "model.teacher.init_cfg=dict(type='Pretrained'" in message
    assert 'model.allow_untrained_teacher=True' in message


def test_untrained_teacher_on_purpose():
    model = distiller(
        resnet_classifier(34, 16), allow_untrained_teacher=True)
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    model.init_weights()
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key
    with pytest.raises(ValueError, match='allow_untrained_teacher'):
        distiller(resnet_classifier(34, 16), allow_untrained_teacher='yes')


def test_teacher_given_as_a_module_keeps_its_weights(trained_teacher):
    teacher, _ = trained_teacher
    model = distiller(teacher)
    model.init_weights()
    assert model.teacher is teacher


def test_two_sources_of_teacher_weights_are_refused(trained_teacher):
    _, path = trained_teacher
    with pytest.raises(ValueError) as info:
        distiller(
            resnet_classifier(
                34, 16, init_cfg=dict(type='Pretrained', checkpoint=path)),
            teacher_ckpt=path)
    assert 'model.teacher_ckpt=' in str(info.value)
    assert 'model.teacher.init_cfg' in str(info.value)


def test_partial_pretrained_init_cfg_is_refused(trained_teacher):
    _, path = trained_teacher
    with pytest.raises(ValueError, match=r'model\.teacher\.init_cfg.*prefix'):
        distiller(
            resnet_classifier(
                34,
                16,
                init_cfg=dict(
                    type='Pretrained', checkpoint=path, prefix='backbone')))


def test_missing_teacher_of_ours_names_the_command_that_makes_it(tmp_path):
    """configs/pwkd/r34_r18_in1k.py before its slimmable teacher exists."""
    path = (tmp_path / 'work_dirs' / 'slimmable_resnet34_8xb32_in1k' /
            'epoch_10.pth')
    with pytest.raises(ValueError) as info:
        distiller(resnet_classifier(34, 16), teacher_ckpt=str(path))
    assert str(info.value).startswith(
        f"teacher_ckpt='{path}': file not found; it is made by `python "
        'tools/train.py configs/slimmable_teacher/'
        f'slimmable_resnet34_8xb32_in1k.py --work-dir {path.parent}`')
