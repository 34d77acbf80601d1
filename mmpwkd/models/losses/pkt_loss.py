"""Probabilistic knowledge transfer loss.

Passalis, Tefas, "Learning Deep Representations with Probabilistic
Knowledge Transfer", ECCV 2018.
"""
from typing import ClassVar, Optional

import torch
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_non_negative, check_positive

from .utils import check_batch

__all__ = ['PKTLoss', 'pkt_loss']


def _conditional_probabilities(feature: Tensor, eps: float) -> Tensor:
    """Rows (N, N) of p(j | i) proportional to (1 + cos(f_i, f_j)) / 2."""
    flat = feature.flatten(1)
    flat = flat / (flat.norm(dim=1, keepdim=True) + eps)
    similarity = (flat @ flat.t() + 1) / 2
    return similarity / similarity.sum(dim=1, keepdim=True)


def pkt_loss(student: Tensor, teacher: Tensor, eps: float = 1e-7) -> Tensor:
    """KL divergence between cosine-similarity conditional distributions.

    Features are flattened to (N, D); the teacher is a constant target
    (detached). Feature sizes may differ.

    Args:
        student (Tensor): Student features (N, ...).
        teacher (Tensor): Teacher features (N, ...).
        eps (float): Added to norms and probabilities, as in the official
            code. Defaults to 1e-7.

    Returns:
        Tensor: The scalar loss, averaged over the N * N entries.
    """
    check_batch('pkt_loss', student, teacher)
    p_student = _conditional_probabilities(student, eps)
    p_teacher = _conditional_probabilities(teacher.detach(), eps)
    log_ratio = torch.log((p_teacher + eps) / (p_student + eps))
    return (p_teacher * log_ratio).mean()


@MODELS.register_module()
class PKTLoss(nn.Module):
    """Probabilistic knowledge transfer loss of Passalis & Tefas (ECCV 2018).

    Formula::

        K(f)_ij = (1 + cos(f_i, f_j)) / 2,   P(f)_ij = K_ij / sum_j K_ij
        L = loss_weight * mean over i, j of
            P(t)_ij * log((P(t)_ij + eps) / (P(s)_ij + eps))

    with student and teacher features ``s`` and ``t`` flattened to (N, D).
    The mean over the N * N entries (rather than a sum over ``j``) follows
    the official code.

    Args:
        eps (float): Numerical guard added to norms and probabilities,
            positive. Defaults to 1e-7.
        loss_weight (float): Weight of the loss, non-negative.
            Defaults to 1.0.
    """

    input_kind: ClassVar[str] = 'feature'

    def __init__(self, eps: float = 1e-7, loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.eps = check_positive(owner, 'eps', eps)
        self.loss_weight = check_non_negative(owner, 'loss_weight',
                                              loss_weight)

    def forward(self,
                student: Tensor,
                teacher: Tensor,
                target: Optional[Tensor] = None) -> Tensor:
        """Compute the weighted loss.

        Args:
            student (Tensor): Student features (N, ...).
            teacher (Tensor): Teacher features (N, ...).
            target (Tensor, optional): Unused; part of the common signature.

        Returns:
            Tensor: The scalar weighted loss.
        """
        return self.loss_weight * pkt_loss(student, teacher, self.eps)
