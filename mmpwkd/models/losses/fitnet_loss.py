"""FitNet hint loss.

Romero, Ballas, Kahou, Chassang, Gatta, Bengio, "FitNets: Hints for Thin
Deep Nets", ICLR 2015.
"""
from typing import ClassVar, Optional

from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_non_negative


__all__ = ['FitNetLoss', 'fitnet_loss']


def fitnet_loss(student: Tensor, teacher: Tensor) -> Tensor:
    """Mean squared error between the student hint and the teacher feature.

    The teacher is a constant target (detached).

    Args:
        student (Tensor): Student feature, already mapped by a connector to
            the teacher's shape, e.g. (N, C, H, W) or (N, D).
        teacher (Tensor): Teacher feature of the same shape.

    Returns:
        Tensor: The scalar loss.

    Raises:
        ValueError: If the shapes differ; the message gives both.
    """
    if student.shape != teacher.shape:
        raise ValueError(
            'fitnet_loss: the student feature (after its connector) must '
            f'have the teacher feature shape {tuple(teacher.shape)}, but got '
            f'{tuple(student.shape)}')
    # Not F.mse_loss: it saves the target for backward, which a teacher
    # feature computed under torch.inference_mode() does not allow.
    return (student - teacher.detach()).pow(2).mean()


@MODELS.register_module()
class FitNetLoss(nn.Module):
    """Hint loss of FitNets (Romero et al., ICLR 2015).

    Formula::

        L = loss_weight * mean((r(s) - t)^2)

    over all elements, with ``r`` the connector (regressor) that maps the
    student feature ``s`` to the shape of the teacher feature ``t``. The
    connector lives in the distiller, not in the loss.

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
            student (Tensor): Connector-mapped student feature.
            teacher (Tensor): Teacher feature of the same shape.
            target (Tensor, optional): Unused; part of the common signature.

        Returns:
            Tensor: The scalar weighted loss.
        """
        return self.loss_weight * fitnet_loss(student, teacher)
