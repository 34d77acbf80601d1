"""Shape checks shared by the distillation losses.

Tensor shapes are checked when a loss first sees them, with both shapes;
constructor arguments are checked with :mod:`mmpwkd.utils.arg_checks`.
"""
from torch import Tensor

__all__ = ['check_batch', 'check_logits']


def check_logits(owner: str, student: Tensor, teacher: Tensor) -> None:
    """Check that student and teacher logits are (N, C) of the same shape.

    Args:
        owner (str): The loss that receives the tensors.
        student (Tensor): The student logits.
        teacher (Tensor): The teacher logits.

    Raises:
        ValueError: With both shapes, if they differ or are not 2-D.
    """
    if student.dim() != 2 or student.shape != teacher.shape:
        raise ValueError(
            f'{owner}: expected student and teacher logits of the same shape '
            f'(N, C), but got student {tuple(student.shape)} and teacher '
            f'{tuple(teacher.shape)}')


def check_batch(owner: str, student: Tensor, teacher: Tensor) -> None:
    """Check that student and teacher features share the batch size N.

    Args:
        owner (str): The loss that receives the tensors.
        student (Tensor): The student features.
        teacher (Tensor): The teacher features.

    Raises:
        ValueError: With both shapes, if a tensor has fewer than 2 dims or
            the batch sizes differ.
    """
    if (student.dim() < 2 or teacher.dim() < 2
            or student.shape[0] != teacher.shape[0]):
        raise ValueError(
            f'{owner}: expected student and teacher features (N, ...) with '
            f'the same batch size N and at least 2 dims, but got student '
            f'{tuple(student.shape)} and teacher {tuple(teacher.shape)}')
