"""Values and invariances of the DIST loss."""
import math
from typing import List

import pytest
import torch

from mmpwkd.models.losses import DISTLoss


def pearson(a: List[float], b: List[float]) -> float:
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    covariance = sum((x - mean_a) * (y - mean_b) for x, y in zip(a, b))
    spread_a = math.sqrt(sum((x - mean_a)**2 for x in a))
    spread_b = math.sqrt(sum((y - mean_b)**2 for y in b))
    return covariance / (spread_a * spread_b)


def reference_dist(student: torch.Tensor, teacher: torch.Tensor, tau: float,
                   beta: float, gamma: float) -> float:
    """Pearson over classes per sample and over samples per class."""
    y_s = (student / tau).softmax(dim=1).tolist()
    y_t = (teacher / tau).softmax(dim=1).tolist()
    num, classes = len(y_s), len(y_s[0])
    inter = 1 - sum(pearson(y_s[n], y_t[n]) for n in range(num)) / num
    intra = 1 - sum(
        pearson([row[c] for row in y_s], [row[c] for row in y_t])
        for c in range(classes)) / classes
    return tau**2 * (beta * inter + gamma * intra)


@pytest.mark.parametrize('tau,beta,gamma', [(1.0, 1.0, 1.0),
                                            (4.0, 2.0, 0.5)])
def test_matches_reference_loop(tau: float, beta: float,
                                gamma: float) -> None:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(4, 6, generator=generator, dtype=torch.float64)
    teacher = 3 * torch.randn(4, 6, generator=generator, dtype=torch.float64)
    value = DISTLoss(tau=tau, beta=beta, gamma=gamma)(student, teacher)
    expected = reference_dist(student, teacher, tau, beta, gamma)
    assert value.item() == pytest.approx(expected, rel=1e-6)


def test_identical_logits_give_zero() -> None:
    logits = torch.randn(4, 6, dtype=torch.float64)
    # Not exactly 0: the official eps of 1e-8 is added to the product of
    # the (small) norms of centred probabilities.
    assert DISTLoss(tau=2.0)(logits, logits.clone()).abs() < 1e-4


def test_anti_correlated_two_class_predictions_give_the_maximum() -> None:
    # Two classes: each row's centred probabilities are (d, -d); swapping
    # the classes flips the sign of every correlation, so rho = -1.
    student = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 3.0]],
                           dtype=torch.float64)
    teacher = student.flip(dims=[1])
    value = DISTLoss(beta=1.0, gamma=1.0)(student, teacher)
    assert value.item() == pytest.approx(4.0, rel=1e-6)


def test_invariances() -> None:
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    teacher = torch.randn(5, 4, generator=generator, dtype=torch.float64)
    loss = DISTLoss(tau=2.0, beta=1.5, gamma=0.5)
    value = loss(student, teacher)
    shift = torch.randn(5, 1, generator=generator, dtype=torch.float64)
    torch.testing.assert_close(loss(student + shift, teacher - shift), value)
    # Pearson correlation is symmetric, so is the loss.
    torch.testing.assert_close(loss(teacher, student), value)
    classes, samples = torch.randperm(4), torch.randperm(5)
    torch.testing.assert_close(
        loss(student[samples][:, classes], teacher[samples][:, classes]),
        value)


def test_mismatched_logits_are_rejected() -> None:
    with pytest.raises(ValueError, match=r'\(3, 10\) and teacher \(3, 5\)'):
        DISTLoss()(torch.randn(3, 10), torch.randn(3, 5))
