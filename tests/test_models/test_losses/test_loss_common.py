"""Behaviour shared by every distillation loss: registry build, call
convention, loss_weight, gradients and argument validation."""
import math
from typing import Callable, Dict, Tuple

import numpy as np
import pytest
import torch
from torch import Tensor

import mmpwkd.models.losses  # noqa: F401  (registers the losses)
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

N, C = 4, 5
LABELS = torch.tensor([0, 3, 1, 4])


def logits_pair() -> Tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(0)
    return (torch.randn(N, C, generator=generator),
            torch.randn(N, C, generator=generator))


def same_shape_features() -> Tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(1)
    return (torch.randn(N, 3, 4, 4, generator=generator),
            torch.randn(N, 3, 4, 4, generator=generator))


def different_channel_features() -> Tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(2)
    return (torch.randn(N, 2, 4, 4, generator=generator),
            torch.randn(N, 6, 4, 4, generator=generator))


# type -> (inputs, input_kind)
LOSSES: Dict[str, Tuple[Callable[[], Tuple[Tensor, Tensor]], str]] = {
    'KDLoss': (logits_pair, 'logits'),
    'DKDLoss': (logits_pair, 'logits'),
    'DISTLoss': (logits_pair, 'logits'),
    'FitNetLoss': (same_shape_features, 'feature'),
    'ATLoss': (different_channel_features, 'feature'),
    'SPLoss': (different_channel_features, 'feature'),
    'RKDLoss': (different_channel_features, 'feature'),
    'PKTLoss': (different_channel_features, 'feature'),
}
USES_LABELS = {'DKDLoss'}


@pytest.fixture(scope='module', autouse=True)
def registered() -> None:
    register_all_modules()


def call(loss: torch.nn.Module, student: Tensor, teacher: Tensor) -> Tensor:
    return loss(student, teacher, LABELS)


@pytest.mark.parametrize('loss_type', sorted(LOSSES))
def test_build_from_registry_and_class_attributes(loss_type: str) -> None:
    make_inputs, input_kind = LOSSES[loss_type]
    loss = MODELS.build(dict(type=loss_type, loss_weight=0.5))
    assert type(loss).__name__ == loss_type
    assert loss.loss_weight == 0.5
    assert loss.input_kind == input_kind
    value = call(loss, *make_inputs())
    assert value.shape == ()
    assert torch.isfinite(value) and value > 0


def test_build_passes_arguments() -> None:
    loss = MODELS.build(dict(type='KDLoss', tau=4, reduction='sum'))
    assert loss.tau == 4.0 and isinstance(loss.tau, float)
    assert loss.reduction == 'sum'
    assert MODELS.build(dict(type='ATLoss', p=np.float32(3))).p == 3.0


@pytest.mark.parametrize('loss_type', sorted(LOSSES))
def test_loss_weight_scales_the_loss(loss_type: str) -> None:
    student, teacher = LOSSES[loss_type][0]()
    unit = call(MODELS.build(dict(type=loss_type)), student, teacher)
    scaled = call(
        MODELS.build(dict(type=loss_type, loss_weight=2.5)), student,
        teacher)
    zero = call(
        MODELS.build(dict(type=loss_type, loss_weight=0)), student, teacher)
    torch.testing.assert_close(scaled, 2.5 * unit)
    assert zero == 0


@pytest.mark.parametrize('loss_type', sorted(LOSSES))
def test_gradient_reaches_the_student_only(loss_type: str) -> None:
    student, teacher = LOSSES[loss_type][0]()
    student.requires_grad_(True)
    # A teacher that (wrongly) requires grad must still be a constant.
    teacher.requires_grad_(True)
    call(MODELS.build(dict(type=loss_type)), student, teacher).backward()
    assert student.grad is not None
    assert torch.isfinite(student.grad).all()
    assert student.grad.abs().sum() > 0
    assert teacher.grad is None


@pytest.mark.parametrize('loss_type', sorted(LOSSES))
def test_teacher_from_inference_mode(loss_type: str) -> None:
    student, teacher = LOSSES[loss_type][0]()
    loss = MODELS.build(dict(type=loss_type))
    expected = call(loss, student, teacher)
    with torch.inference_mode():
        inference_teacher = teacher.clone()
    student.requires_grad_(True)
    value = call(loss, student, inference_teacher)
    value.backward()
    torch.testing.assert_close(value.detach(), expected)
    assert student.grad is not None
    torch.testing.assert_close(inference_teacher, teacher, rtol=0, atol=0)


@pytest.mark.parametrize(
    'loss_type', sorted(set(LOSSES) - USES_LABELS))
def test_target_is_ignored_unless_required(loss_type: str) -> None:
    student, teacher = LOSSES[loss_type][0]()
    loss = MODELS.build(dict(type=loss_type))
    torch.testing.assert_close(
        loss(student, teacher), loss(student, teacher, LABELS))


INVALID_ARGUMENTS = [
    # (type, kwargs, exception, fragments of the message)
    ('KDLoss', dict(tau=0), ValueError, ['KDLoss', 'tau', 'positive', '0']),
    ('KDLoss', dict(tau=-1.5), ValueError, ['tau', 'positive', '-1.5']),
    ('KDLoss', dict(tau='4'), TypeError, ['tau', 'real number', "'4'"]),
    ('KDLoss', dict(tau=True), TypeError, ['tau', 'bool']),
    ('KDLoss', dict(tau=math.inf), ValueError, ['tau', 'finite', 'inf']),
    ('KDLoss', dict(reduction='mean'), ValueError,
     ['reduction', "('batchmean', 'sum')", "'mean'"]),
    ('KDLoss', dict(reduction=None), TypeError, ['reduction', 'None']),
    ('DKDLoss', dict(tau=0.0), ValueError, ['DKDLoss', 'tau', '0.0']),
    ('DKDLoss', dict(alpha=-1), ValueError, ['alpha', 'non-negative', '-1']),
    ('DKDLoss', dict(beta=-8.0), ValueError, ['beta', 'non-negative']),
    ('DKDLoss', dict(beta=[8]), TypeError, ['beta', 'list', '[8]']),
    ('DISTLoss', dict(tau=-4), ValueError, ['DISTLoss', 'tau', '-4']),
    ('DISTLoss', dict(beta=-0.1), ValueError, ['beta', '-0.1']),
    ('DISTLoss', dict(gamma=math.nan), ValueError, ['gamma', 'nan']),
    ('DISTLoss', dict(gamma='2'), TypeError, ['gamma', 'str']),
    ('ATLoss', dict(p=0), ValueError, ['ATLoss', 'p', 'positive', '0']),
    ('ATLoss', dict(p=None), TypeError, ['p', 'NoneType']),
    ('RKDLoss', dict(distance_weight=-25), ValueError,
     ['RKDLoss', 'distance_weight', '-25']),
    ('RKDLoss', dict(angle_weight='50'), TypeError, ['angle_weight', 'str']),
    ('PKTLoss', dict(eps=0), ValueError, ['PKTLoss', 'eps', 'positive']),
    ('PKTLoss', dict(eps=-1e-7), ValueError, ['eps', '-1e-07']),
]
for _name in LOSSES:
    INVALID_ARGUMENTS += [
        (_name, dict(loss_weight=-1), ValueError,
         [_name, 'loss_weight', 'non-negative', '-1']),
        (_name, dict(loss_weight='1'), TypeError,
         [_name, 'loss_weight', 'str', "'1'"]),
    ]


@pytest.mark.parametrize('loss_type,kwargs,error,fragments',
                         INVALID_ARGUMENTS)
def test_invalid_arguments_are_rejected_at_construction(
        loss_type: str, kwargs: dict, error: type, fragments: list) -> None:
    # Built directly: the registry would wrap the error in another message.
    loss_class = MODELS.get(loss_type)
    with pytest.raises(error) as info:
        loss_class(**kwargs)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_invalid_argument_fails_the_registry_build() -> None:
    with pytest.raises(ValueError, match='tau must be a positive number'):
        MODELS.build(dict(type='KDLoss', tau=-4))
