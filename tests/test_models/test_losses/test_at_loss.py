"""Values and invariances of the attention transfer loss."""
import math

import pytest
import torch

from mmpwkd.models.losses import ATLoss


def reference_attention(feature: torch.Tensor, p: float) -> list:
    """Per sample: channel mean of |f|^p at each position, unit L2 norm."""
    maps = []
    for sample in feature.tolist():
        channels = len(sample)
        positions = [(i, j) for i in range(len(sample[0]))
                     for j in range(len(sample[0][0]))]
        values = [
            sum(abs(sample[c][i][j])**p for c in range(channels)) / channels
            for i, j in positions
        ]
        norm = math.sqrt(sum(v * v for v in values))
        maps.append([v / norm for v in values])
    return maps


def reference_at(student: torch.Tensor, teacher: torch.Tensor,
                 p: float) -> float:
    squares = [(s - t)**2
               for s_map, t_map in zip(reference_attention(student, p),
                                       reference_attention(teacher, p))
               for s, t in zip(s_map, t_map)]
    return sum(squares) / len(squares)


@pytest.mark.parametrize('p', [2, 3.0])
def test_matches_reference_loop(p: float) -> None:
    generator = torch.Generator().manual_seed(0)
    # Channel counts differ; negative values check the |f| of odd p.
    student = torch.randn(2, 3, 3, 2, generator=generator,
                          dtype=torch.float64)
    teacher = torch.randn(2, 5, 3, 2, generator=generator,
                          dtype=torch.float64)
    value = ATLoss(p=p)(student, teacher)
    assert value.item() == pytest.approx(
        reference_at(student, teacher, p), rel=1e-10)


def test_known_value() -> None:
    # Attention maps (p=2): student [1, 0], teacher [1, 1] / sqrt(2).
    student = torch.tensor([[[[2.0, 0.0]]]])
    teacher = torch.tensor([[[[1.0, 1.0]], [[-1.0, 1.0]]]])
    expected = ((1 - 1 / math.sqrt(2))**2 + 0.5) / 2
    assert ATLoss()(student, teacher).item() == pytest.approx(expected)


def test_invariant_to_scale_and_channel_order() -> None:
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(2, 4, 3, 3, generator=generator,
                          dtype=torch.float64)
    teacher = torch.randn(2, 6, 3, 3, generator=generator,
                          dtype=torch.float64)
    loss = ATLoss()
    value = loss(student, teacher)
    torch.testing.assert_close(loss(3.7 * student, teacher), value)
    torch.testing.assert_close(loss(student[:, [2, 0, 3, 1]], teacher),
                               value)
    assert loss(student, student.clone()) == 0


@pytest.mark.parametrize('student_shape,teacher_shape',
                         [((2, 4, 8, 8), (2, 4, 4, 4)),
                          ((2, 4, 8, 8), (3, 4, 8, 8)),
                          ((2, 4), (2, 4))])
def test_mismatched_shapes_are_rejected(student_shape: tuple,
                                        teacher_shape: tuple) -> None:
    with pytest.raises(ValueError) as info:
        ATLoss()(torch.randn(student_shape), torch.randn(teacher_shape))
    assert str(student_shape) in str(info.value)
    assert str(teacher_shape) in str(info.value)
