"""Values and invariances of the relational KD loss."""
import math
from typing import List

import pytest
import torch

from mmpwkd.models.losses import RKDLoss

Vector = List[float]


def smooth_l1(x: float) -> float:
    return 0.5 * x * x if abs(x) < 1 else abs(x) - 0.5


def difference(a: Vector, b: Vector) -> Vector:
    return [x - y for x, y in zip(a, b)]


def norm(a: Vector) -> float:
    return math.sqrt(sum(x * x for x in a))


def distances(points: List[Vector]) -> List[List[float]]:
    """Pairwise distances over their off-diagonal mean; 0 on the diagonal."""
    num = len(points)
    raw = [[norm(difference(p, q)) for q in points] for p in points]
    mean = sum(raw[i][j] for i in range(num)
               for j in range(num) if i != j) / (num * (num - 1))
    return [[d / mean for d in row] for row in raw]


def cosine_at(vertex: Vector, a: Vector, b: Vector) -> float:
    u, v = difference(a, vertex), difference(b, vertex)
    if norm(u) == 0 or norm(v) == 0:
        return 0.0  # a degenerate angle (a or b is the vertex)
    return sum(x * y for x, y in zip(u, v)) / (norm(u) * norm(v))


def reference_rkd(student: torch.Tensor, teacher: torch.Tensor,
                  distance_weight: float, angle_weight: float) -> float:
    s_points, t_points = student.tolist(), teacher.tolist()
    num = len(s_points)
    d_s, d_t = distances(s_points), distances(t_points)
    distance = sum(
        smooth_l1(d_s[i][j] - d_t[i][j]) for i in range(num)
        for j in range(num)) / num**2
    triples = [(i, j, k) for i in range(num) for j in range(num)
               for k in range(num)]
    angle = sum(
        smooth_l1(
            cosine_at(s_points[i], s_points[j], s_points[k]) -
            cosine_at(t_points[i], t_points[j], t_points[k]))
        for i, j, k in triples) / len(triples)
    return distance_weight * distance + angle_weight * angle


@pytest.mark.parametrize('distance_weight,angle_weight', [(25.0, 50.0),
                                                          (1.0, 0.0),
                                                          (0.0, 1.0)])
def test_matches_reference_loop(distance_weight: float,
                                angle_weight: float) -> None:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(4, 3, generator=generator, dtype=torch.float64)
    # Spread out so that some normalised distances differ by more than 1,
    # the linear branch of smooth L1.
    teacher = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0]],
                           dtype=torch.float64)
    value = RKDLoss(distance_weight, angle_weight)(student, teacher)
    expected = reference_rkd(student, teacher, distance_weight,
                             angle_weight)
    assert value.item() == pytest.approx(expected, rel=1e-8)


def test_feature_maps_are_flattened() -> None:
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(3, 2, 2, 2, generator=generator)
    teacher = torch.randn(3, 4, generator=generator)
    loss = RKDLoss()
    torch.testing.assert_close(
        loss(student, teacher), loss(student.reshape(3, 8), teacher))


def test_invariant_to_similarity_transforms() -> None:
    generator = torch.Generator().manual_seed(2)
    student = torch.randn(5, 3, generator=generator, dtype=torch.float64)
    teacher = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    rotation, _ = torch.linalg.qr(
        torch.randn(3, 3, generator=generator, dtype=torch.float64))
    loss = RKDLoss()
    value = loss(student, teacher)
    transformed = 3.0 * student @ rotation + torch.tensor(
        [1.0, -2.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(loss(transformed, teacher), value)
    assert loss(teacher, teacher.clone()).abs() < 1e-10


def test_single_sample_batch_is_finite() -> None:
    student = torch.randn(1, 4, requires_grad=True)
    value = RKDLoss()(student, torch.randn(1, 6))
    value.backward()
    assert value == 0
    assert torch.isfinite(student.grad).all()


def test_mismatched_batch_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match=r'\(4, 8\) and teacher \(2, 8\)'):
        RKDLoss()(torch.randn(4, 8), torch.randn(2, 8))
