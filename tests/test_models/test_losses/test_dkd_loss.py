"""Values of the DKD loss against a hand-computed decomposition."""
import math
from typing import List

import pytest
import torch

from mmpwkd.models.losses import DKDLoss, kd_loss


def softmax(row: List[float]) -> List[float]:
    exps = [math.exp(x) for x in row]
    return [e / sum(exps) for e in exps]


def kl(p: List[float], q: List[float]) -> float:
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def reference_dkd(student: torch.Tensor, teacher: torch.Tensor,
                  target: torch.Tensor, tau: float, alpha: float,
                  beta: float) -> float:
    """Binary (target / rest) KL plus KL over the non-target classes only."""
    tckd = nckd = 0.0
    for s_row, t_row, label in zip(student.tolist(), teacher.tolist(),
                                   target.tolist()):
        p_s = softmax([x / tau for x in s_row])
        p_t = softmax([x / tau for x in t_row])
        tckd += kl([p_t[label], 1 - p_t[label]],
                   [p_s[label], 1 - p_s[label]])
        others = [k for k in range(len(s_row)) if k != label]
        q_s = softmax([s_row[k] / tau for k in others])
        q_t = softmax([t_row[k] / tau for k in others])
        nckd += kl(q_t, q_s)
    return (alpha * tckd + beta * nckd) / len(student) * tau**2


@pytest.mark.parametrize('tau,alpha,beta', [(1.0, 1.0, 8.0),
                                            (4.0, 0.5, 2.0)])
def test_matches_reference_loop(tau: float, alpha: float,
                                beta: float) -> None:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(4, 5, generator=generator, dtype=torch.float64)
    teacher = 2 * torch.randn(4, 5, generator=generator, dtype=torch.float64)
    target = torch.tensor([0, 4, 2, 2])
    value = DKDLoss(tau=tau, alpha=alpha, beta=beta)(student, teacher, target)
    expected = reference_dkd(student, teacher, target, tau, alpha, beta)
    assert value.item() == pytest.approx(expected, rel=1e-10)


def test_decomposes_classical_kd() -> None:
    """KD = TCKD + (1 - p_t[target]) * NCKD (Eq. 5 of the paper)."""
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(1, 6, generator=generator, dtype=torch.float64)
    teacher = torch.randn(1, 6, generator=generator, dtype=torch.float64)
    target = torch.tensor([3])
    tau = 2.0
    p_teacher_target = (teacher / tau).softmax(dim=1)[0, 3].item()
    dkd = DKDLoss(tau=tau, alpha=1.0, beta=1 - p_teacher_target)
    torch.testing.assert_close(
        dkd(student, teacher, target), kd_loss(student, teacher, tau))


def test_identical_logits_give_zero() -> None:
    logits = torch.randn(3, 5)
    value = DKDLoss(tau=4.0)(logits, logits.clone(), torch.tensor([0, 1, 2]))
    assert value.abs() < 1e-6


def test_invariant_to_a_per_sample_shift_of_logits() -> None:
    generator = torch.Generator().manual_seed(2)
    student = torch.randn(2, 4, generator=generator, dtype=torch.float64)
    teacher = torch.randn(2, 4, generator=generator, dtype=torch.float64)
    target = torch.tensor([1, 3])
    shift = torch.tensor([[7.0], [-2.0]], dtype=torch.float64)
    loss = DKDLoss(tau=2.0)
    torch.testing.assert_close(
        loss(student + shift, teacher + shift, target),
        loss(student, teacher, target))


def test_confident_logits_stay_finite() -> None:
    # A naive log(1 - p_target) is log(0) here.
    student = torch.tensor([[0.0, 200.0, 0.0]], requires_grad=True)
    teacher = torch.tensor([[300.0, 0.0, 0.0]])
    value = DKDLoss()(student, teacher, torch.tensor([1]))
    value.backward()
    assert torch.isfinite(value) and value > 0
    assert torch.isfinite(student.grad).all()


def test_target_is_required_and_checked() -> None:
    loss = DKDLoss()
    student, teacher = torch.randn(2, 3), torch.randn(2, 3)
    with pytest.raises(ValueError, match='target .* required, but got None'):
        loss(student, teacher)
    with pytest.raises(TypeError, match='int64, but got torch.int32'):
        loss(student, teacher, torch.tensor([0, 1], dtype=torch.int32))
    with pytest.raises(ValueError, match=r'\(2,\) .* got \(2, 1\)'):
        loss(student, teacher, torch.tensor([[0], [1]]))
    with pytest.raises(ValueError, match='at least 2 classes .* got 1'):
        loss(torch.randn(2, 1), torch.randn(2, 1), torch.tensor([0, 0]))
    with pytest.raises(ValueError, match=r'\(2, 3\) and teacher \(2, 4\)'):
        loss(student, torch.randn(2, 4), torch.tensor([0, 1]))
