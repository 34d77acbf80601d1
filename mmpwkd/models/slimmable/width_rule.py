"""The channel rule of a slimmable network and checks of width lists.

A sub-network of width ``w`` keeps the leading ``c(w)`` channels of every
layer with ``C`` channels at full width. Slimmable networks (Yu et al.,
"Slimmable Neural Networks", ICLR 2019) truncate, ``c(w) = int(C * w)``;
universally slimmable networks (Yu and Huang, "Universally Slimmable Networks
and Improved Training Techniques", ICCV 2019) round to a multiple of 8 with
``make_divisible``.
"""
import math
import numbers
from typing import Sequence, Tuple

from mmpretrain.models.utils import make_divisible

__all__ = ['scaled_channels', 'check_widths', 'width_key']

# Tolerance of the truncation, so that float error (100 * 0.29 is
# 28.999999999999996) does not drop a channel.
_FLOOR_EPS = 1e-6


def scaled_channels(channels: int, width: float, divisor: int = 1) -> int:
    """Number of leading channels a layer keeps at a width.

    The rule is the identity at ``width == 1.0``. Otherwise:

    - ``divisor == 1`` (S-ResNet truncation): ``max(1, floor(C * w))``, with a
      1e-6 tolerance against float error.
    - ``divisor > 1`` (US-Nets ``make_divisible``): ``C * w`` rounded to the
      nearest multiple of ``divisor``, at least ``divisor``, raised by one
      ``divisor`` if rounding lost more than 10%, and finally capped at
      ``C`` (so a layer narrower than ``divisor`` keeps all its channels).

    Args:
        channels (int): Channels ``C`` of the layer at full width.
        width (float): Width multiplier in (0, 1].
        divisor (int): Rounding granularity; 1 truncates. Defaults to 1.

    Returns:
        int: The channels at ``width``, in ``[1, channels]``.

    Raises:
        ValueError: If ``channels`` or ``divisor`` is not a positive integer
            or ``width`` is not in (0, 1].
    """
    if not isinstance(channels, int) or channels < 1:
        raise ValueError('scaled_channels: channels must be a positive int, '
                         f'got {channels!r}')
    if not isinstance(divisor, int) or divisor < 1:
        raise ValueError('scaled_channels: divisor must be a positive int, '
                         f'got {divisor!r}')
    if not 0 < width <= 1:
        raise ValueError('scaled_channels: width must be in (0, 1], '
                         f'got {width!r}')
    if width == 1:
        return channels
    value = channels * width
    if divisor == 1:
        return max(1, math.floor(value + _FLOOR_EPS))
    return min(make_divisible(value, divisor), channels)


def check_widths(widths: Sequence[float],
                 name: str = 'widths') -> Tuple[float, ...]:
    """Validate a list of width multipliers.

    Args:
        widths (Sequence[float]): Width multipliers.
        name (str): How the caller calls the argument, for error messages.
            Defaults to ``'widths'``.

    Returns:
        tuple[float, ...]: The widths as floats.

    Raises:
        ValueError: Unless ``widths`` is a non-empty sequence of numbers in
            (0, 1], strictly ascending, without duplicates, ending with 1.0
            (the full network, which an ordinary checkpoint describes).
    """
    if isinstance(widths, (str, bytes)) or not isinstance(widths, Sequence):
        raise ValueError(f'{name} must be a sequence of floats in (0, 1], '
                         f'got {widths!r}')
    if len(widths) == 0:
        raise ValueError(f'{name} must not be empty, got {widths!r}')
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, numbers.Real):
            raise ValueError(f'{name} must hold numbers, got {width!r} in '
                             f'{widths!r}')
        if not 0 < width <= 1:
            raise ValueError(f'every entry of {name} must be in (0, 1], got '
                             f'{width!r} in {widths!r}')
    if len(set(widths)) != len(widths):
        raise ValueError(f'{name} must not hold duplicates, got {widths!r}')
    if list(widths) != sorted(widths):
        raise ValueError(f'{name} must be strictly ascending, got '
                         f'{widths!r}')
    if widths[-1] != 1:
        raise ValueError(f'{name} must contain 1.0 (the full network that '
                         f'ordinary checkpoints describe), got {widths!r}')
    return tuple(float(width) for width in widths)


def width_key(width: float) -> str:
    """Module-name-safe key of a width: ``0.25 -> '0_25'``.

    Args:
        width (float): A width multiplier.

    Returns:
        str: ``str(float(width))`` with the dot replaced by an underscore.
    """
    return str(float(width)).replace('.', '_')
