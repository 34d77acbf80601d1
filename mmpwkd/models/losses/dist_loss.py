"""DIST: distillation by relations of class predictions.

Huang, You, Wang, Qian, Xu, "Knowledge Distillation from A Stronger
Teacher", NeurIPS 2022.
"""
from typing import ClassVar, Optional

from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_non_negative, check_positive

from .utils import check_logits

__all__ = ['DISTLoss', 'dist_loss']

# Added to the product of norms, as in the official code, so that a constant
# row (zero variance) gives a correlation of 0 instead of NaN.
PEARSON_EPS = 1e-8


def _row_pearson(a: Tensor, b: Tensor) -> Tensor:
    """Pearson correlation between matching rows of ``a`` and ``b``."""
    a = a - a.mean(dim=1, keepdim=True)
    b = b - b.mean(dim=1, keepdim=True)
    return (a * b).sum(dim=1) / (a.norm(dim=1) * b.norm(dim=1) + PEARSON_EPS)


def dist_loss(student: Tensor,
              teacher: Tensor,
              tau: float = 1.0,
              beta: float = 1.0,
              gamma: float = 1.0) -> Tensor:
    """Inter-class plus intra-class relation loss of DIST.

    ``tau^2 * (beta * (1 - mean_n rho(y_s[n], y_t[n])) + gamma * (1 -
    mean_c rho(y_s[:, c], y_t[:, c])))`` with ``y = softmax(logits / tau)``
    and ``rho`` the Pearson correlation; the teacher is a constant target
    (detached).

    Args:
        student (Tensor): Student logits (N, C).
        teacher (Tensor): Teacher logits (N, C).
        tau (float): Temperature. Defaults to 1.0.
        beta (float): Weight of the inter-class relation. Defaults to 1.0.
        gamma (float): Weight of the intra-class relation. Defaults to 1.0.

    Returns:
        Tensor: The scalar loss.
    """
    check_logits('dist_loss', student, teacher)
    y_student = (student / tau).softmax(dim=1)
    y_teacher = (teacher.detach() / tau).softmax(dim=1)
    inter_class = 1 - _row_pearson(y_student, y_teacher).mean()
    intra_class = 1 - _row_pearson(y_student.t(), y_teacher.t()).mean()
    return (beta * inter_class + gamma * intra_class) * tau**2


@MODELS.register_module()
class DISTLoss(nn.Module):
    """DIST loss of Huang et al. (NeurIPS 2022).

    Formula::

        y_s = softmax(s / tau),   y_t = softmax(t / tau)          (N, C)
        inter = 1 - mean over samples n of pearson(y_s[n, :], y_t[n, :])
        intra = 1 - mean over classes c of pearson(y_s[:, c], y_t[:, c])
        L = loss_weight * tau^2 * (beta * inter + gamma * intra)

    with student logits ``s`` and teacher logits ``t``. Matching relations
    rather than exact probabilities tolerates the large gap between a
    strong teacher and its student.

    Args:
        tau (float): Temperature, positive. Defaults to 1.0.
        beta (float): Weight of the inter-class relation, non-negative.
            Defaults to 1.0.
        gamma (float): Weight of the intra-class relation, non-negative.
            Defaults to 1.0.
        loss_weight (float): Weight of the loss, non-negative.
            Defaults to 1.0.
    """

    input_kind: ClassVar[str] = 'logits'

    def __init__(self,
                 tau: float = 1.0,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.tau = check_positive(owner, 'tau', tau)
        self.beta = check_non_negative(owner, 'beta', beta)
        self.gamma = check_non_negative(owner, 'gamma', gamma)
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
            target (Tensor, optional): Unused; part of the common signature.

        Returns:
            Tensor: The scalar weighted loss.
        """
        return self.loss_weight * dist_loss(student, teacher, self.tau,
                                            self.beta, self.gamma)
