"""Checks shared by the distillation losses.

Constructor arguments are checked when a loss is built from its config, and
tensor shapes when the loss first sees them, so that a mistake is reported
where it enters, with the expected and the given value.
"""
import math
from numbers import Real
from typing import Sequence

from torch import Tensor

__all__ = [
    'check_batch', 'check_choice', 'check_logits', 'check_non_negative',
    'check_positive'
]


def _check_real(owner: str, name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number."""
    # bool is an int subclass, but ``tau=True`` is a config mistake.
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f'{owner}: {name} must be a real number (int or '
                        f'float), but got {type(value).__name__} {value!r}')
    if not math.isfinite(value):
        raise ValueError(
            f'{owner}: {name} must be a finite number, but got {value!r}')
    return float(value)


def check_positive(owner: str, name: str, value: object) -> float:
    """Check that ``value`` is a positive finite number.

    Args:
        owner (str): Who receives the argument (class or function name).
        name (str): The argument name.
        value (object): The given value.

    Returns:
        float: ``value`` as a float.

    Raises:
        TypeError: If ``value`` is not an int or a float.
        ValueError: If ``value`` is not finite or not positive.
    """
    number = _check_real(owner, name, value)
    if number <= 0:
        raise ValueError(
            f'{owner}: {name} must be a positive number, but got {value!r}')
    return number


def check_non_negative(owner: str, name: str, value: object) -> float:
    """Check that ``value`` is a non-negative finite number.

    Args:
        owner (str): Who receives the argument (class or function name).
        name (str): The argument name.
        value (object): The given value.

    Returns:
        float: ``value`` as a float.

    Raises:
        TypeError: If ``value`` is not an int or a float.
        ValueError: If ``value`` is not finite or negative.
    """
    number = _check_real(owner, name, value)
    if number < 0:
        raise ValueError(f'{owner}: {name} must be a non-negative number, '
                         f'but got {value!r}')
    return number


def check_choice(owner: str, name: str, value: object,
                 choices: Sequence[str]) -> str:
    """Check that ``value`` is one of the strings ``choices``.

    Args:
        owner (str): Who receives the argument (class or function name).
        name (str): The argument name.
        value (object): The given value.
        choices (Sequence[str]): The allowed values.

    Returns:
        str: ``value``.

    Raises:
        TypeError: If ``value`` is not a string.
        ValueError: If ``value`` is not among ``choices``.
    """
    if not isinstance(value, str):
        raise TypeError(f'{owner}: {name} must be a str among {tuple(choices)}'
                        f', but got {type(value).__name__} {value!r}')
    if value not in choices:
        raise ValueError(f'{owner}: {name} must be one of {tuple(choices)}, '
                         f'but got {value!r}')
    return value


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
