"""Values of the KD loss against hand-computed KL divergences."""
import math
from typing import List

import pytest
import torch

from mmpwkd.models.losses import KDLoss, kd_loss


def softmax(row: List[float]) -> List[float]:
    exps = [math.exp(x) for x in row]
    return [e / sum(exps) for e in exps]


def reference_kd(student: torch.Tensor, teacher: torch.Tensor,
                 tau: float) -> float:
    """Sum over classes, mean over samples, of p_t * log(p_t / p_s)."""
    total = 0.0
    for s_row, t_row in zip(student.tolist(), teacher.tolist()):
        p_s = softmax([x / tau for x in s_row])
        p_t = softmax([x / tau for x in t_row])
        total += sum(t * math.log(t / s) for s, t in zip(p_s, p_t))
    return total / len(student) * tau**2


def test_closed_form_two_classes() -> None:
    tau = 4.0
    # Logits tau * log(p) give softmax(logits / tau) = p exactly.
    teacher = tau * torch.tensor([[0.8, 0.2]], dtype=torch.float64).log()
    student = torch.zeros(1, 2, dtype=torch.float64)
    kl = 0.8 * math.log(0.8 / 0.5) + 0.2 * math.log(0.2 / 0.5)
    value = KDLoss(tau=tau)(student, teacher)
    assert value.item() == pytest.approx(kl * tau**2, rel=1e-12)


def test_identical_logits_give_zero() -> None:
    logits = torch.randn(3, 7)
    assert KDLoss(tau=2.0)(logits, logits.clone()).abs() < 1e-6


@pytest.mark.parametrize('tau', [1.0, 4.0])
def test_matches_reference_loop(tau: float) -> None:
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    teacher = 3 * torch.randn(3, 5, generator=generator, dtype=torch.float64)
    value = KDLoss(tau=tau)(student, teacher)
    assert value.item() == pytest.approx(
        reference_kd(student, teacher, tau), rel=1e-10)


def test_sum_reduction() -> None:
    generator = torch.Generator().manual_seed(1)
    student = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    teacher = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    batchmean = reference_kd(student, teacher, 2.0)
    total = kd_loss(student, teacher, 2.0, reduction='sum')
    assert total.item() == pytest.approx(batchmean * 3, rel=1e-10)


def test_invariant_to_a_per_sample_shift_of_logits() -> None:
    generator = torch.Generator().manual_seed(2)
    student = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    teacher = torch.randn(3, 5, generator=generator, dtype=torch.float64)
    shift = torch.tensor([[10.0], [-3.0], [0.5]], dtype=torch.float64)
    loss = KDLoss(tau=4.0)
    torch.testing.assert_close(
        loss(student + shift, teacher - 2 * shift), loss(student, teacher))


@pytest.mark.parametrize('student_shape,teacher_shape',
                         [((2, 5), (2, 4)), ((2, 5), (3, 5)), ((5, ), (5, ))])
def test_mismatched_logits_are_rejected(student_shape: tuple,
                                        teacher_shape: tuple) -> None:
    with pytest.raises(ValueError) as info:
        KDLoss()(torch.randn(student_shape), torch.randn(teacher_shape))
    assert str(student_shape) in str(info.value)
    assert str(teacher_shape) in str(info.value)
