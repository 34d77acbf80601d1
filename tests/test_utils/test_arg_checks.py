"""The shared argument checks accept what they promise and name the owner,
the argument and the given value otherwise."""
import pytest

from mmpwkd.utils.arg_checks import (check_bool, check_fraction,
                                     check_non_negative, check_positive,
                                     check_positive_int)


def test_fraction_intervals():
    assert check_fraction('O', 'r', 1) == 1.0
    assert check_fraction('O', 'r', 0, include_zero=True) == 0.0
    for value, include_zero in ((0, False), (1, True), (1.5, False),
                                (True, False), ('0.5', False)):
        with pytest.raises(ValueError) as info:
            check_fraction('O', 'r', value, include_zero=include_zero)
        interval = '[0, 1)' if include_zero else '(0, 1]'
        assert str(info.value) == (
            f'O: r must be a number in {interval}, got {value!r}')


def test_numbers_refuse_bools_and_bounds():
    assert check_positive('O', 'x', 2) == 2.0
    assert check_non_negative('O', 'x', 0) == 0.0
    assert check_positive_int('O', 'n', 3) == 3
    assert check_bool('O', 'flag', False) is False
    with pytest.raises(TypeError, match="O: x must be a real number"):
        check_positive('O', 'x', True)
    with pytest.raises(ValueError, match='O: x must be a positive number'):
        check_positive('O', 'x', 0)
    with pytest.raises(ValueError, match='must be a finite number'):
        check_non_negative('O', 'x', float('inf'))
    with pytest.raises(ValueError, match='O: n must be a positive int, '
                       'got 2.0'):
        check_positive_int('O', 'n', 2.0)
    with pytest.raises(ValueError, match='O: flag must be a bool, got 1'):
        check_bool('O', 'flag', 1)
