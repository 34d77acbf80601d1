"""Values of the FitNet hint loss."""
import pytest
import torch

from mmpwkd.models.losses import FitNetLoss


def test_matches_reference_loop() -> None:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(2, 3, 2, 2, generator=generator,
                          dtype=torch.float64)
    teacher = torch.randn(2, 3, 2, 2, generator=generator,
                          dtype=torch.float64)
    pairs = list(zip(student.flatten().tolist(), teacher.flatten().tolist()))
    expected = sum((s - t)**2 for s, t in pairs) / len(pairs)
    value = FitNetLoss()(student, teacher)
    assert value.item() == pytest.approx(expected, rel=1e-12)


def test_known_value_on_embeddings() -> None:
    student = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    teacher = torch.tensor([[1.0, 0.0], [0.0, 4.0]])
    # (0 + 4 + 9 + 0) / 4
    assert FitNetLoss()(student, teacher).item() == pytest.approx(3.25)


def test_identical_features_give_zero() -> None:
    feature = torch.randn(2, 4, 3, 3)
    assert FitNetLoss()(feature, feature.clone()) == 0


@pytest.mark.parametrize('student_shape,teacher_shape',
                         [((2, 8, 4, 4), (2, 16, 4, 4)),
                          ((2, 8, 4, 4), (2, 8, 2, 2)), ((2, 8), (2, 8, 1))])
def test_mismatched_shapes_are_rejected(student_shape: tuple,
                                        teacher_shape: tuple) -> None:
    with pytest.raises(ValueError) as info:
        FitNetLoss()(torch.randn(student_shape), torch.randn(teacher_shape))
    assert str(student_shape) in str(info.value)
    assert str(teacher_shape) in str(info.value)
