"""Similarity-preserving knowledge distillation loss.

Tung, Mori, "Similarity-Preserving Knowledge Distillation", ICCV 2019.
"""
from typing import ClassVar, Optional

import torch.nn.functional as F
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_non_negative

from .utils import check_batch

__all__ = ['SPLoss', 'similarity_matrix', 'sp_loss']


def similarity_matrix(feature: Tensor) -> Tensor:
    """Batch Gram matrix of flattened features, rows L2-normalised.

    Args:
        feature (Tensor): Features (N, ...), e.g. (N, C, H, W) or (N, D).

    Returns:
        Tensor: Similarities (N, N).
    """
    flat = feature.flatten(1)
    return F.normalize(flat @ flat.t(), dim=1)


def sp_loss(student: Tensor, teacher: Tensor) -> Tensor:
    """Squared Frobenius distance of the similarity matrices over N^2.

    The teacher is a constant target (detached). Only the batch sizes must
    match; channels and spatial sizes may differ.

    Args:
        student (Tensor): Student features (N, ...).
        teacher (Tensor): Teacher features (N, ...).

    Returns:
        Tensor: The scalar loss.
    """
    check_batch('sp_loss', student, teacher)
    difference = similarity_matrix(student) - similarity_matrix(
        teacher.detach())
    return difference.pow(2).sum() / student.shape[0]**2


@MODELS.register_module()
class SPLoss(nn.Module):
    """Similarity-preserving loss of Tung & Mori (ICCV 2019).

    Formula::

        G(f) = normalize_rows_L2(flatten(f) @ flatten(f)^T)       (N, N)
        L    = loss_weight * ||G(s) - G(t)||_F^2 / N^2

    with student and teacher features ``s`` and ``t`` of batch size ``N``.

    Args:
        loss_weight (float): Weight of the loss, non-negative.
            Defaults to 1.0.
    """

    input_kind: ClassVar[str] = 'feature'

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_non_negative(
            type(self).__name__, 'loss_weight', loss_weight)

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
        return self.loss_weight * sp_loss(student, teacher)
