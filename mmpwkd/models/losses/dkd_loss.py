"""Decoupled knowledge distillation loss.

Zhao, Cui, Song, Qiu, Liang, "Decoupled Knowledge Distillation", CVPR 2022.
"""
from typing import ClassVar, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_non_negative, check_positive

from .utils import check_logits

__all__ = ['DKDLoss', 'dkd_loss']

# Subtracted from the target logit so that the non-target distribution
# ignores it; the value of the reference implementation (mdistiller).
TARGET_MASK_OFFSET = 1000.0


def _check_target(student: Tensor, target: Optional[Tensor]) -> None:
    """Check that ``target`` holds one int64 label per sample."""
    if target is None:
        raise ValueError('dkd_loss: target (N,) int64 hard labels are '
                         'required, but got None')
    if target.dtype != torch.int64:
        raise TypeError(
            f'dkd_loss: target must be int64, but got {target.dtype}')
    if target.shape != student.shape[:1]:
        raise ValueError(
            f'dkd_loss: expected target of shape ({student.shape[0]},) for '
            f'logits {tuple(student.shape)}, but got {tuple(target.shape)}')
    if student.shape[1] < 2:
        raise ValueError('dkd_loss: at least 2 classes are needed to split '
                         f'target and non-target, but got {student.shape[1]}')


def _binary_log_probs(log_probs: Tensor, gt_mask: Tensor) -> Tensor:
    """Log-probabilities (N, 2) of 'target class' and 'any other class'."""
    log_p_target = log_probs.masked_fill(~gt_mask, float('-inf'))
    log_p_other = log_probs.masked_fill(gt_mask, float('-inf'))
    # logsumexp of log-probabilities, not log(1 - p_target): the latter
    # underflows to log(0) for a confident prediction.
    return torch.stack(
        [log_p_target.logsumexp(dim=1),
         log_p_other.logsumexp(dim=1)], dim=1)


def dkd_loss(student: Tensor,
             teacher: Tensor,
             target: Optional[Tensor],
             tau: float = 1.0,
             alpha: float = 1.0,
             beta: float = 8.0) -> Tensor:
    """Target-class plus non-target-class knowledge distillation.

    ``(alpha * TCKD + beta * NCKD) * tau^2`` with both KL divergences
    summed over classes and averaged over the batch; the teacher is a
    constant target (detached).

    Args:
        student (Tensor): Student logits (N, C).
        teacher (Tensor): Teacher logits (N, C).
        target (Tensor, optional): Hard labels (N,), int64. Required; a
            missing target raises ``ValueError``.
        tau (float): Temperature. Defaults to 1.0.
        alpha (float): Weight of TCKD. Defaults to 1.0.
        beta (float): Weight of NCKD. Defaults to 8.0.

    Returns:
        Tensor: The scalar loss.
    """
    check_logits('dkd_loss', student, teacher)
    _check_target(student, target)
    teacher = teacher.detach()
    gt_mask = torch.zeros_like(
        student, dtype=torch.bool).scatter(1, target.unsqueeze(1), True)

    tckd = F.kl_div(
        _binary_log_probs(F.log_softmax(student / tau, dim=1), gt_mask),
        _binary_log_probs(F.log_softmax(teacher / tau, dim=1), gt_mask),
        reduction='batchmean',
        log_target=True)

    offset = TARGET_MASK_OFFSET * gt_mask.to(student.dtype)
    nckd = F.kl_div(
        F.log_softmax(student / tau - offset, dim=1),
        F.log_softmax(teacher / tau - offset, dim=1),
        reduction='batchmean',
        log_target=True)
    return (alpha * tckd + beta * nckd) * tau**2


@MODELS.register_module()
class DKDLoss(nn.Module):
    """Decoupled knowledge distillation loss of Zhao et al. (CVPR 2022).

    Formula::

        b(z)  = [p_y, 1 - p_y],           p = softmax(z / tau)
        q(z)  = softmax(z / tau - 1000 * onehot(y))
        TCKD  = KL(b(t) || b(s)),         NCKD = KL(q(t) || q(s))
        L     = loss_weight * tau^2 * (alpha * TCKD + beta * NCKD)

    with student logits ``s``, teacher logits ``t`` and labels ``y``; the
    offset of 1000 removes the target class from ``q`` as in the official
    code. The paper's warm-up (the loss ramped up over the first epochs) is
    not part of the loss, whose forward never reads the epoch: schedule
    ``loss_weight`` outside the loss if a warm-up is wanted.

    Args:
        tau (float): Temperature, positive. Defaults to 1.0.
        alpha (float): Weight of TCKD, non-negative. Defaults to 1.0.
        beta (float): Weight of NCKD, non-negative. Defaults to 8.0.
        loss_weight (float): Weight of the loss, non-negative.
            Defaults to 1.0.
    """

    input_kind: ClassVar[str] = 'logits'

    def __init__(self,
                 tau: float = 1.0,
                 alpha: float = 1.0,
                 beta: float = 8.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.tau = check_positive(owner, 'tau', tau)
        self.alpha = check_non_negative(owner, 'alpha', alpha)
        self.beta = check_non_negative(owner, 'beta', beta)
        self.loss_weight = check_non_negative(owner, 'loss_weight',
                                              loss_weight)

    def forward(self,
                student: Tensor,
                teacher: Tensor,
                target: Optional[Tensor] = None) -> Tensor:
        """Compute the weighted loss.

        Args:
            student (Tensor): Student logits (N, C).
            teacher (Tensor): Teacher logits (N, C).
            target (Tensor, optional): Hard labels (N,), int64. Required.

        Returns:
            Tensor: The scalar weighted loss.
        """
        return self.loss_weight * dkd_loss(student, teacher, target,
                                           self.tau, self.alpha, self.beta)
