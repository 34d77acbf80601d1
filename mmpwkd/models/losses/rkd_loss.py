"""Relational knowledge distillation loss.

Park, Kim, Lu, Cho, "Relational Knowledge Distillation", CVPR 2019.
"""
from typing import ClassVar, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_non_negative

from .utils import check_batch

__all__ = ['RKDLoss', 'rkd_loss']

# Floor of squared distances, as in the official code: sqrt has an infinite
# gradient at 0 (identical samples).
SQUARED_DISTANCE_EPS = 1e-12


def _normalized_distances(embedding: Tensor) -> Tensor:
    """Pairwise Euclidean distances (N, N) divided by their mean.

    The mean is over the off-diagonal pairs; the diagonal is 0.
    """
    squared_norm = embedding.pow(2).sum(dim=1)
    squared = (squared_norm.unsqueeze(0) + squared_norm.unsqueeze(1) -
               2 * embedding @ embedding.t())
    num = embedding.shape[0]
    off_diagonal = 1 - torch.eye(num, dtype=embedding.dtype,
                                 device=embedding.device)
    distances = squared.clamp(min=SQUARED_DISTANCE_EPS).sqrt() * off_diagonal
    if num < 2:
        # A batch of one has no pair to normalise by.
        return distances
    return distances / (distances.sum() / (num * (num - 1)))


def _angles(embedding: Tensor) -> Tensor:
    """Cosines (N, N, N); entry [i, j, k] is the angle at vertex e_i.

    That is the cosine between ``e_j - e_i`` and ``e_k - e_i``.
    """
    differences = F.normalize(
        embedding.unsqueeze(0) - embedding.unsqueeze(1), dim=2)
    return differences @ differences.transpose(1, 2)


def rkd_loss(student: Tensor,
             teacher: Tensor,
             distance_weight: float = 25.0,
             angle_weight: float = 50.0) -> Tensor:
    """Distance-wise plus angle-wise relational loss.

    Features are flattened to embeddings (N, D); the teacher is a constant
    target (detached). Embedding sizes may differ.

    Args:
        student (Tensor): Student features (N, ...).
        teacher (Tensor): Teacher features (N, ...).
        distance_weight (float): Weight of the distance term.
            Defaults to 25.0.
        angle_weight (float): Weight of the angle term. Defaults to 50.0.

    Returns:
        Tensor: The scalar loss.
    """
    check_batch('rkd_loss', student, teacher)
    student = student.flatten(1)
    teacher = teacher.detach().flatten(1)
    distance = F.smooth_l1_loss(
        _normalized_distances(student), _normalized_distances(teacher))
    angle = F.smooth_l1_loss(_angles(student), _angles(teacher))
    return distance_weight * distance + angle_weight * angle


@MODELS.register_module()
class RKDLoss(nn.Module):
    """Relational knowledge distillation loss of Park et al. (CVPR 2019).

    Formula::

        d(e)_ij  = ||e_i - e_j|| / mean over i != j of ||e_i - e_j||
        a(e)_ijk = cos of the angle between e_j - e_i and e_k - e_i
        L = loss_weight * (distance_weight * mean(smoothL1(d(s), d(t)))
                           + angle_weight * mean(smoothL1(a(s), a(t))))

    with student and teacher embeddings ``s`` and ``t``. Feature maps are
    flattened, (N, C, H, W) -> (N, C * H * W), not pooled; to distil the
    pooled embedding of the paper, take the features after the global
    pooling (the neck of an mmpretrain classifier). Memory grows as N^3.

    Args:
        distance_weight (float): Weight of the distance term, non-negative.
            Defaults to 25.0.
        angle_weight (float): Weight of the angle term, non-negative.
            Defaults to 50.0.
        loss_weight (float): Weight of the loss, non-negative.
            Defaults to 1.0.
    """

    input_kind: ClassVar[str] = 'feature'

    def __init__(self,
                 distance_weight: float = 25.0,
                 angle_weight: float = 50.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.distance_weight = check_non_negative(owner, 'distance_weight',
                                                  distance_weight)
        self.angle_weight = check_non_negative(owner, 'angle_weight',
                                               angle_weight)
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
        return self.loss_weight * rkd_loss(
            student, teacher, self.distance_weight, self.angle_weight)
