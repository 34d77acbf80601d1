"""Attention transfer loss.

Zagoruyko, Komodakis, "Paying More Attention to Attention: Improving the
Performance of Convolutional Neural Networks via Attention Transfer",
ICLR 2017.
"""
from typing import ClassVar, Optional

import torch.nn.functional as F
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_non_negative, check_positive


__all__ = ['ATLoss', 'at_loss', 'attention_map']


def attention_map(feature: Tensor, p: float = 2.0) -> Tensor:
    """Spatial attention map: channel mean of ``|f|^p``, L2-normalised.

    Args:
        feature (Tensor): Feature map (N, C, H, W).
        p (float): Exponent. Defaults to 2.0.

    Returns:
        Tensor: Attention maps (N, H * W), each of unit L2 norm.
    """
    attention = feature.abs().pow(p).mean(dim=1)
    return F.normalize(attention.flatten(1), dim=1)


def at_loss(student: Tensor, teacher: Tensor, p: float = 2.0) -> Tensor:
    """Mean squared difference of student and teacher attention maps.

    The teacher is a constant target (detached). Channel counts may differ.

    Args:
        student (Tensor): Student feature map (N, C_s, H, W).
        teacher (Tensor): Teacher feature map (N, C_t, H, W).
        p (float): Exponent of the attention map. Defaults to 2.0.

    Returns:
        Tensor: The scalar loss.

    Raises:
        ValueError: If a tensor is not 4-D, or batch or spatial sizes
            differ; the message gives both shapes.
    """
    if (student.dim() != 4 or teacher.dim() != 4
            or student.shape[0] != teacher.shape[0]
            or student.shape[2:] != teacher.shape[2:]):
        raise ValueError(
            'at_loss: expected feature maps (N, C, H, W) with the same N, H '
            f'and W, but got student {tuple(student.shape)} and teacher '
            f'{tuple(teacher.shape)}')
    difference = attention_map(student, p) - attention_map(
        teacher.detach(), p)
    return difference.pow(2).mean()


@MODELS.register_module()
class ATLoss(nn.Module):
    """Attention transfer loss of Zagoruyko & Komodakis (ICLR 2017).

    Formula::

        a(f) = normalize_L2(flatten(mean over channels of |f|^p))  (N, HW)
        L    = loss_weight * mean((a(s) - a(t))^2)

    with student and teacher feature maps ``s`` and ``t``. The official
    code weights each feature pair by ``beta / 2`` with ``beta = 1000``;
    ``loss_weight=500`` reproduces that.

    Args:
        p (float): Exponent of the attention map, positive. Defaults to 2.
        loss_weight (float): Weight of the loss, non-negative.
            Defaults to 1.0.
    """

    input_kind: ClassVar[str] = 'feature'

    def __init__(self, p: float = 2, loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.p = check_positive(owner, 'p', p)
        self.loss_weight = check_non_negative(owner, 'loss_weight',
                                              loss_weight)

    def forward(self,
                student: Tensor,
                teacher: Tensor,
                target: Optional[Tensor] = None) -> Tensor:
        """Compute the weighted loss.

        Args:
            student (Tensor): Student feature map (N, C_s, H, W).
            teacher (Tensor): Teacher feature map (N, C_t, H, W).
            target (Tensor, optional): Unused; part of the common signature.

        Returns:
            Tensor: The scalar weighted loss.
        """
        return self.loss_weight * at_loss(student, teacher, self.p)
