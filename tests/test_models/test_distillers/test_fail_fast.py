"""PWKDDistiller fails before the first update, naming the config key or
module path, what it expected and what it got."""
import pytest
import torch
from helpers import labelled_batch, resnet_classifier

from mmpwkd.models import PWKDDistiller
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()


def classifier(depth: int = 18, base: int = 8, num_classes: int = 5,
               widths=None) -> dict:
    if widths is None:
        return resnet_classifier(depth, base, num_classes)
    return resnet_classifier(
        depth, base, num_classes, slimmable=True, widths=widths)


def teacher(**kwargs) -> dict:
    return classifier(34, 16, widths=(0.25, 0.5, 1.0), **kwargs)


def distiller(**kwargs) -> PWKDDistiller:
    cfg = dict(type='PWKDDistiller', student=classifier(), teacher=teacher())
    cfg.update(kwargs)
    return MODELS.build(cfg)


def fitnet(student: str = 'backbone.layer3', teacher: str = 'backbone.layer3',
           **connector) -> dict:
    loss = dict(type='FitNetLoss', student=student, teacher=teacher)
    if connector:
        loss['connector'] = dict(type='ConvConnector', **connector)
    return dict(loss_fitnet=loss)


def batch(n: int = 2):
    return labelled_batch(n, num_classes=n)


@pytest.mark.parametrize('widths, message', [
    ((), 'widths must not be empty'),
    ((0.5, 0.25, 1.0), 'widths must be strictly ascending'),
    ((0.5, 0.5, 1.0), 'widths must not hold duplicates'),
    ((0.0, 1.0), r'widths must be in \(0, 1\], got 0.0'),
    ((0.5, 1.5), r'widths must be in \(0, 1\], got 1.5'),
])
def test_bad_teacher_widths_name_the_teacher(widths, message):
    with pytest.raises(ValueError, match=f'model.teacher: .*{message}'):
        distiller(teacher=classifier(34, 16, widths=widths))


def test_num_classes_mismatch_is_refused_at_build():
    with pytest.raises(ValueError) as info:
        distiller(teacher=teacher(num_classes=7))
    message = str(info.value)
    assert ('model.student.head.num_classes=5 and '
            'model.teacher.head.num_classes=7 differ') in message
    assert "['distill_losses.loss_kd']" in message


def test_num_classes_may_differ_for_feature_losses_only():
    model = distiller(
        teacher=teacher(num_classes=7),
        distill_losses=dict(
            loss_at=dict(type='ATLoss', student='backbone.layer3',
                         teacher='backbone.layer3')))
    assert torch.isfinite(model(*batch(), mode='loss')['distill.loss_at'])


def test_bad_loss_argument_names_its_config_key():
    with pytest.raises(ValueError,
                       match=r'distill_losses\.loss_kd: .*KDLoss: tau must '
                       'be a positive number, but got -1'):
        distiller(distill_losses=dict(loss_kd=dict(type='KDLoss', tau=-1)))
    with pytest.raises(TypeError, match=r'distill_losses\.loss_kd: .*'
                       "loss_weight must be a real number .* str '1'"):
        distiller(
            distill_losses=dict(loss_kd=dict(type='KDLoss', loss_weight='1')))


def test_bad_connector_argument_names_its_config_key():
    with pytest.raises(ValueError,
                       match=r'distill_losses\.loss_fitnet\.connector: .*'
                       'in_channels must be a positive int, got 0'):
        distiller(distill_losses=fitnet(in_channels=0, out_channels=64))


@pytest.mark.parametrize('flag', ['eval_teacher', 'allow_untrained_widths'])
def test_flags_must_be_bools(flag):
    with pytest.raises(ValueError, match=f'{flag} must be a bool, got 1'):
        distiller(**{flag: 1})


def test_student_loss_weight_must_be_non_negative():
    with pytest.raises(ValueError, match='student_loss_weight must be a '
                       'non-negative number, but got -0.1'):
        distiller(student_loss_weight=-0.1)


def test_channels_without_a_connector_suggest_one():
    model = distiller(distill_losses=fitnet())
    with pytest.raises(ValueError) as info:
        model(*batch(), mode='loss')
    message = str(info.value)
    assert ("distill_losses.loss_fitnet: student 'backbone.layer3' gives "
            "(2, 32, 2, 2), teacher 'backbone.layer3' gives (2, 64, 2, 2) "
            'at teacher width 1.0') in message
    assert ("there is no connector: add connector=dict(type='ConvConnector'"
            ', in_channels=32, out_channels=64)') in message


def test_connector_too_narrow_for_the_last_stage_fails_at_the_first():
    """The first stage (width 0.25, 16 teacher channels) fits the
    connector; the last (64) does not: the check that PWKDStageHook runs
    on the first batch says so."""
    model = distiller(distill_losses=fitnet(in_channels=32, out_channels=32))
    model.set_teacher_width(0.25)
    model.train()
    assert torch.isfinite(model(*batch(), mode='loss')['distill.loss_fitnet'])
    with pytest.raises(ValueError) as info:
        model.check_teacher_width(*batch(), 1.0)
    message = str(info.value)
    assert ("teacher 'backbone.layer3' gives (2, 64, 2, 2) at teacher "
            'width 1.0') in message
    assert ('the connector ConvConnector maps 32 student channels to at '
            'most 32 teacher channels') in message
    assert model.teacher_width == 0.25 and model.training


def test_full_width_check_passes_without_side_effects():
    model = distiller(distill_losses=fitnet(in_channels=32, out_channels=64))
    model.set_teacher_width(0.5)
    model.train()
    bn = model.distill_terms['loss_fitnet'].connector.bn
    model.check_teacher_width(*batch(), 1.0)
    assert (bn.running_mean == 0).all()
    losses = model(*batch(), mode='loss')
    assert torch.isfinite(losses['distill.loss_fitnet'])
    # The training call at width 0.5 moved the statistics of the 32 active
    # channels; the check at full width moved none.
    assert (bn.running_mean[:32] != 0).all()
    assert (bn.running_mean[32:] == 0).all()
    assert model.teacher_width == 0.5 and model.training


def test_feature_maps_of_different_resolutions():
    model = distiller(
        distill_losses=dict(
            loss_at=dict(type='ATLoss', student='backbone.layer2',
                         teacher='backbone.layer3')))
    with pytest.raises(ValueError) as info:
        model(*batch(), mode='loss')
    message = str(info.value)
    assert ("student 'backbone.layer2' gives (2, 16, 4, 4), teacher "
            "'backbone.layer3' gives (2, 64, 2, 2)") in message
    assert 'no connector changes H x W' in message
    assert 'at_loss: expected feature maps' in message


def test_teacher_ckpt_with_other_shapes(tmp_path):
    narrow = MODELS.build(classifier(34, 8))
    torch.save(dict(state_dict=narrow.state_dict()), tmp_path / 'c8.pth')
    with pytest.raises(ValueError, match=r"c8\.pth' does not fit the "
                       r'teacher: \d+ tensors differ in shape, e\.g\. '
                       r"\['backbone\.conv1\.weight: checkpoint \(8, 3, 7, "
                       r'7\), teacher \(16, 3, 7, 7\)'):
        distiller(teacher_ckpt=str(tmp_path / 'c8.pth'))


@pytest.mark.parametrize('content, message', [
    (torch.ones(2), 'holds a Tensor, expected a dict'),
    (dict(state_dict=[1, 2]), 'its state_dict is a list, expected a dict'),
])
def test_teacher_ckpt_that_holds_no_weights_dict(tmp_path, content, message):
    """A file that loads but holds no dict of weights. Files that do not
    load, or name another architecture, are tested in
    test_pwkd_distiller.py."""
    path = tmp_path / 'bad.pth'
    torch.save(content, path)
    with pytest.raises(ValueError, match=f'teacher_ckpt=.*{message}'):
        distiller(teacher_ckpt=str(path))
