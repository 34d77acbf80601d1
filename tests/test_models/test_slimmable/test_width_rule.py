import pytest

from mmpwkd.models.slimmable.width_rule import (check_widths,
                                                scaled_channels, width_key)


@pytest.mark.parametrize('divisor', [1, 8])
@pytest.mark.parametrize('channels', [1, 3, 43, 64, 100, 1280])
def test_identity_at_full_width(channels, divisor):
    assert scaled_channels(channels, 1.0, divisor) == channels


def test_truncation():
    assert [scaled_channels(64, w) for w in (0.25, 0.5, 0.75)] == [16, 32, 48]
    assert scaled_channels(10, 0.35) == 3
    # 100 * 0.29 is 28.999999999999996 in floating point.
    assert scaled_channels(100, 0.29) == 29
    assert scaled_channels(3, 0.25) == 1


def test_make_divisible_rounding():
    assert [scaled_channels(64, w, 8) for w in (0.25, 0.5, 0.75)] == [
        16, 32, 48
    ]
    # 20 * 0.5 = 10 rounds to 8, which loses more than 10%: 16.
    assert scaled_channels(20, 0.5, 8) == 16
    # At least the divisor, but never above the channels.
    assert scaled_channels(100, 0.01, 8) == 8
    assert scaled_channels(4, 0.25, 8) == 4
    assert scaled_channels(24, 0.75, 8) == 24


@pytest.mark.parametrize('args', [(0, 0.5), (8, 0.0), (8, 1.5), (8, 0.5, 0),
                                  (8.0, 0.5)])
def test_scaled_channels_rejects(args):
    with pytest.raises(ValueError, match='scaled_channels'):
        scaled_channels(*args)


def test_check_widths_accepts():
    assert check_widths([0.25, 0.5, 1]) == (0.25, 0.5, 1.0)
    assert check_widths((1.0, )) == (1.0, )


@pytest.mark.parametrize('widths, message', [
    ((), 'must not be empty'),
    ('0.5', 'must be a sequence'),
    (None, 'must be a sequence'),
    ((0.5, 'x', 1.0), 'must hold numbers'),
    ((True, 1.0), 'must hold numbers'),
    ((0.0, 1.0), r'must be in \(0, 1\]'),
    ((0.5, 1.5), r'must be in \(0, 1\]'),
    ((0.5, 0.5, 1.0), 'must not hold duplicates'),
    ((0.5, 0.25, 1.0), 'must be strictly ascending'),
    ((0.25, 0.5), 'must contain 1.0'),
])
def test_check_widths_rejects(widths, message):
    with pytest.raises(ValueError, match=f'my_widths {message}'):
        check_widths(widths, name='my_widths')


def test_width_key():
    assert width_key(0.25) == '0_25'
    assert width_key(1) == '1_0'
