"""Vanilla knowledge distillation loss.

Hinton, Vinyals, Dean, "Distilling the Knowledge in a Neural Network",
NIPS Deep Learning Workshop 2014 (arXiv 1503.02531, 2015).
"""
from typing import ClassVar, Optional

import torch.nn.functional as F
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import (check_choice, check_non_negative,
                                     check_positive)

from .utils import check_logits

__all__ = ['KDLoss', 'kd_loss']

# No 'mean': F.kl_div's 'mean' divides by N * C, not by the batch size N,
# and is deprecated for that reason.
KD_REDUCTIONS = ('batchmean', 'sum')


def kd_loss(student: Tensor,
            teacher: Tensor,
            tau: float = 1.0,
            reduction: str = 'batchmean') -> Tensor:
    """KL divergence between temperature-softened class distributions.

    ``KL(softmax(teacher / tau) || softmax(student / tau)) * tau^2``; the
    teacher is a constant target (detached).

    Args:
        student (Tensor): Student logits (N, C).
        teacher (Tensor): Teacher logits (N, C).
        tau (float): Temperature. Defaults to 1.0.
        reduction (str): ``'batchmean'`` (sum over classes, mean over the
            batch: the KL of the paper) or ``'sum'`` (sum over the batch).
            Defaults to ``'batchmean'``.

    Returns:
        Tensor: The scalar loss.
    """
    check_logits('kd_loss', student, teacher)
    log_p_student = F.log_softmax(student / tau, dim=1)
    log_p_teacher = F.log_softmax(teacher.detach() / tau, dim=1)
    kl = F.kl_div(
        log_p_student, log_p_teacher, reduction=reduction, log_target=True)
    return kl * tau**2


@MODELS.register_module()
class KDLoss(nn.Module):
    """Knowledge distillation loss of Hinton et al. (2015).

    Formula::

        L = loss_weight * tau^2 * KL(softmax(t / tau) || softmax(s / tau))

    with student logits ``s`` and teacher logits ``t``. The ``tau^2`` factor
    keeps the gradient scale independent of ``tau``.

    Args:
        tau (float): Temperature, positive. Defaults to 1.0.
        loss_weight (float): Weight of the loss, non-negative.
            Defaults to 1.0.
        reduction (str): ``'batchmean'`` or ``'sum'``; see :func:`kd_loss`.
            Defaults to ``'batchmean'``.
    """

    input_kind: ClassVar[str] = 'logits'

    def __init__(self,
                 tau: float = 1.0,
                 loss_weight: float = 1.0,
                 reduction: str = 'batchmean') -> None:
        super().__init__()
        owner = type(self).__name__
        self.tau = check_positive(owner, 'tau', tau)
        self.loss_weight = check_non_negative(owner, 'loss_weight',
                                              loss_weight)
        self.reduction = check_choice(owner, 'reduction', reduction,
                                      KD_REDUCTIONS)

    def forward(self,
                student: Tensor,
                teacher: Tensor,
                target: Optional[Tensor] = None) -> Tensor:
        """Compute the weighted loss.

        Args:
            student (Tensor): Student logits (N, C).
            teacher (Tensor): Teacher logits (N, C).
            target (Tensor, optional): Unused; part of the common signature.

        Returns:
            Tensor: The scalar weighted loss.
        """
        return self.loss_weight * kd_loss(student, teacher, self.tau,
                                          self.reduction)
