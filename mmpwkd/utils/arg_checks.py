"""Checks of constructor arguments, shared by every module.

Arguments are checked when a module is built from its config, so that a
mistake is reported where it enters, naming the receiver, the argument, what
was expected and what was given. ``bool`` is an ``int`` subclass, but
``tau=True`` or ``in_channels=True`` is a config mistake: no check accepts a
bool where it expects a number.
"""
import math
from numbers import Real
from typing import Sequence

__all__ = [
    'check_bool', 'check_choice', 'check_fraction', 'check_non_negative',
    'check_positive', 'check_positive_int'
]


def check_bool(owner: str, name: str, value: object) -> bool:
    """Check that ``value`` is a bool.

    Args:
        owner (str): Who receives the argument (class or function name).
        name (str): The argument name.
        value (object): The given value.

    Returns:
        bool: ``value``.

    Raises:
        ValueError: If ``value`` is not a bool (1 and 'yes' included).
    """
    if not isinstance(value, bool):
        raise ValueError(f'{owner}: {name} must be a bool, got {value!r}')
    return value


def check_positive_int(owner: str, name: str, value: object) -> int:
    """Check that ``value`` is an int of at least 1.

    Args:
        owner (str): Who receives the argument (class or function name).
        name (str): The argument name.
        value (object): The given value.

    Returns:
        int: ``value``.

    Raises:
        ValueError: If ``value`` is not an int (a bool or 8.0 included) or
            is below 1.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f'{owner}: {name} must be a positive int, got {value!r}')
    return value


def _check_real(owner: str, name: str, value: object) -> float:
    """Return ``value`` as a float if it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f'{owner}: {name} must be a real number (int or '
                        f'float), but got {type(value).__name__} {value!r}')
    if not math.isfinite(value):
        raise ValueError(
            f'{owner}: {name} must be a finite number, but got {value!r}')
    return float(value)


def check_fraction(owner: str,
                   name: str,
                   value: object,
                   include_zero: bool = False) -> float:
    """Check that ``value`` is a number in (0, 1], or in [0, 1) with
    ``include_zero``.

    Args:
        owner (str): Who receives the argument (class or function name).
        name (str): The argument name.
        value (object): The given value.
        include_zero (bool): Take [0, 1) instead of (0, 1]. Defaults to
            False.

    Returns:
        float: ``value`` as a float.

    Raises:
        ValueError: If ``value`` is not a number (a bool included) or lies
            outside the interval.
    """
    number = isinstance(value, Real) and not isinstance(value, bool)
    inside = number and (0 <= value < 1 if include_zero else 0 < value <= 1)
    if not inside:
        interval = '[0, 1)' if include_zero else '(0, 1]'
        raise ValueError(f'{owner}: {name} must be a number in {interval}, '
                         f'got {value!r}')
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
