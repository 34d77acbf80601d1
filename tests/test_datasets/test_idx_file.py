import re

import numpy as np
import pytest
from idx_writer import write_idx, write_raw

from mmpwkd.datasets import read_idx_file


@pytest.mark.parametrize('name', ['images-idx3-ubyte.gz', 'images-idx3-ubyte'])
def test_read_uint8_images_gzipped_or_raw(tmp_path, name):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    path = write_idx(tmp_path / name, images)

    result = read_idx_file(str(path))

    assert result.dtype == np.uint8 and result.shape == (2, 3, 4)
    np.testing.assert_array_equal(result, images)
    assert result.flags.writeable


@pytest.mark.parametrize('dtype', ['>i2', '>i4', '>f4', '>f8', 'i1'])
def test_read_multibyte_types_to_native_order(tmp_path, dtype):
    values = np.array([[-3, 2, 1000], [7, -8, 9]]).astype(dtype)
    path = write_idx(tmp_path / 'values.gz', values)

    result = read_idx_file(str(path))

    assert result.dtype == np.dtype(dtype).newbyteorder('=')
    np.testing.assert_array_equal(result, values)


def test_wrong_magic_number_names_file(tmp_path):
    path = write_raw(tmp_path / 'bad.gz', b'\x01\x02\x08\x01' + bytes(8))

    with pytest.raises(ValueError, match='Not an IDX file') as info:
        read_idx_file(str(path))
    assert str(path) in str(info.value)
    assert '0x01020801' in str(info.value)


def test_unknown_type_code_is_rejected(tmp_path):
    path = write_raw(tmp_path / 'bad', b'\x00\x00\x07\x01' + bytes(8))

    with pytest.raises(ValueError, match='Not an IDX file'):
        read_idx_file(str(path))


@pytest.mark.parametrize('data', [b'\x00\x00', b'\x00\x00\x08\x03\x00'])
def test_truncated_header(tmp_path, data):
    path = write_raw(tmp_path / 'short.gz', data)

    with pytest.raises(ValueError, match=re.escape(f'Truncated IDX file '
                                                   f'{path}')):
        read_idx_file(str(path))


def test_truncated_payload_and_trailing_bytes(tmp_path):
    good = write_idx(tmp_path / 'good', np.zeros((3, 2, 2), np.uint8))
    data = good.read_bytes()
    short = write_raw(tmp_path / 'short.gz', data[:-1])
    long = write_raw(tmp_path / 'long.gz', data + b'\x00')

    with pytest.raises(ValueError, match='Truncated IDX file .*short.gz'):
        read_idx_file(str(short))
    with pytest.raises(ValueError, match='Trailing bytes in IDX .*long.gz'):
        read_idx_file(str(long))


def test_corrupt_and_truncated_gzip_name_file(tmp_path):
    not_gzip = tmp_path / 'plain.gz'
    not_gzip.write_bytes(b'this is not gzip data')
    stream = write_idx(tmp_path / 'cut.gz', np.zeros(1000, np.uint8))
    cut = tmp_path / 'cut_stream.gz'
    cut.write_bytes(stream.read_bytes()[:20])

    for path in (not_gzip, cut):
        with pytest.raises(ValueError, match='Cannot decompress') as info:
            read_idx_file(str(path))
        assert str(path) in str(info.value)
