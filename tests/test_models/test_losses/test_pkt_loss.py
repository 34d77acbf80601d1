"""Values and invariances of the probabilistic knowledge transfer loss."""
import math
from typing import List

import pytest
import torch

from mmpwkd.models.losses import PKTLoss


def conditional(feature: torch.Tensor, eps: float) -> List[List[float]]:
    """p(j | i) proportional to (1 + cos(f_i, f_j)) / 2, per row i."""
    rows = [sample.flatten().tolist() for sample in feature]
    units = [[x / (math.sqrt(sum(v * v for v in row)) + eps) for x in row]
             for row in rows]
    kernel = [[(1 + sum(a * b for a, b in zip(u, v))) / 2 for v in units]
              for u in units]
    return [[k / sum(row) for k in row] for row in kernel]


def reference_pkt(student: torch.Tensor, teacher: torch.Tensor,
                  eps: float) -> float:
    p_s, p_t = conditional(student, eps), conditional(teacher, eps)
    num = len(p_s)
    return sum(p_t[i][j] * math.log((p_t[i][j] + eps) / (p_s[i][j] + eps))
               for i in range(num) for j in range(num)) / num**2


@pytest.mark.parametrize('eps', [1e-7, 1e-2])
def test_matches_reference_loop(eps: float) -> None:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(4, 2, 2, 2, generator=generator,
                          dtype=torch.float64)
    teacher = torch.randn(4, 5, generator=generator, dtype=torch.float64)
    value = PKTLoss(eps=eps)(student, teacher)
    assert value.item() == pytest.approx(
        reference_pkt(student, teacher, eps), rel=1e-10)


def test_known_value() -> None:
    # Student samples orthogonal: every kernel entry off the diagonal is
    # 1/2, so p_s = [[2/3, 1/3], [1/3, 2/3]]; teacher samples parallel:
    # p_t = 1/2 everywhere.
    student = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    teacher = torch.tensor([[1.0], [2.0]], dtype=torch.float64)
    expected = (0.5 * math.log(0.5 / (2 / 3)) +
                0.5 * math.log(0.5 / (1 / 3))) / 2
    value = PKTLoss(eps=1e-12)(student, teacher)
    assert value.item() == pytest.approx(expected, rel=1e-9)


def test_invariant_to_sample_scale_and_orthogonal_maps() -> None:
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(4, 5, generator=generator, dtype=torch.float64)
    teacher = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    rotation, _ = torch.linalg.qr(
        torch.randn(5, 5, generator=generator, dtype=torch.float64))
    scales = torch.tensor([[0.5], [2.0], [3.0], [10.0]], dtype=torch.float64)
    loss = PKTLoss()
    value = loss(student, teacher)
    torch.testing.assert_close(loss(scales * student @ rotation, teacher),
                               value)
    assert loss(teacher, teacher.clone()).abs() < 1e-12


def test_mismatched_batch_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match=r'\(2, 8\) and teacher \(3, 8\)'):
        PKTLoss()(torch.randn(2, 8), torch.randn(3, 8))
