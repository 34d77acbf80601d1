"""Values and invariances of the similarity-preserving loss."""
import math

import pytest
import torch

from mmpwkd.models.losses import SPLoss


def reference_similarity(feature: torch.Tensor) -> list:
    """Gram matrix of flattened samples, each row scaled to unit L2 norm."""
    rows = [sample.flatten().tolist() for sample in feature]
    gram = [[sum(a * b for a, b in zip(x, y)) for y in rows] for x in rows]
    return [[g / math.sqrt(sum(v * v for v in row)) for g in row]
            for row in gram]


def reference_sp(student: torch.Tensor, teacher: torch.Tensor) -> float:
    g_s, g_t = reference_similarity(student), reference_similarity(teacher)
    num = len(g_s)
    return sum((g_s[i][j] - g_t[i][j])**2 for i in range(num)
               for j in range(num)) / num**2


def test_matches_reference_loop() -> None:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(3, 2, 2, 2, generator=generator,
                          dtype=torch.float64)
    teacher = torch.randn(3, 5, 1, 3, generator=generator,
                          dtype=torch.float64)
    value = SPLoss()(student, teacher)
    assert value.item() == pytest.approx(
        reference_sp(student, teacher), rel=1e-10)


def test_known_value() -> None:
    # Orthogonal student samples: G_s = I. Parallel teacher samples:
    # every row of G_t is (1, 1) / sqrt(2).
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    teacher = torch.tensor([[1.0], [1.0]])
    expected = (2 * (1 - 1 / math.sqrt(2))**2 + 2 * 0.5) / 4
    assert SPLoss()(student, teacher).item() == pytest.approx(expected)


def test_invariant_to_scale_and_orthogonal_maps() -> None:
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(4, 6, generator=generator, dtype=torch.float64)
    teacher = torch.randn(4, 3, 2, 2, generator=generator,
                          dtype=torch.float64)
    rotation, _ = torch.linalg.qr(
        torch.randn(6, 6, generator=generator, dtype=torch.float64))
    loss = SPLoss()
    value = loss(student, teacher)
    torch.testing.assert_close(loss(5.0 * student, teacher), value)
    torch.testing.assert_close(loss(student @ rotation, teacher), value)
    assert loss(teacher, teacher.clone()).abs() < 1e-12


def test_mismatched_batch_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match=r'\(2, 8\) and teacher \(3, 8\)'):
        SPLoss()(torch.randn(2, 8), torch.randn(3, 8))
    with pytest.raises(ValueError, match=r'student \(8,\)'):
        SPLoss()(torch.randn(8), torch.randn(8))
