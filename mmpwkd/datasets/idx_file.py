"""Reader of IDX files, the array format of MNIST and Fashion-MNIST.

An IDX file is a 4-byte magic number ``0x00 0x00 TT DD`` (``TT`` the element
type, ``DD`` the number of dimensions), ``DD`` big-endian uint32 sizes, then
the elements in C order, big-endian. See http://yann.lecun.com/exdb/mnist/.
Files ending in ``.gz`` are decompressed on the fly.
"""
import gzip
import struct
import zlib
from typing import Tuple

import numpy as np

__all__ = ['IDX_DTYPES', 'read_idx_file']

# Element type codes of the IDX format; multi-byte types are big-endian.
IDX_DTYPES = {
    0x08: np.dtype('u1'),
    0x09: np.dtype('i1'),
    0x0B: np.dtype('>i2'),
    0x0C: np.dtype('>i4'),
    0x0D: np.dtype('>f4'),
    0x0E: np.dtype('>f8'),
}


def _read_bytes(path: str) -> bytes:
    """The content of ``path``, gunzipped when it ends in ``.gz``."""
    if not path.endswith('.gz'):
        with open(path, 'rb') as f:
            return f.read()
    try:
        with gzip.open(path, 'rb') as f:
            return f.read()
    except (gzip.BadGzipFile, EOFError, zlib.error) as error:
        raise ValueError(
            f'Cannot decompress IDX file {path}: {error}. The file is '
            'corrupt or truncated; replace it.') from error


def _parse_header(data: bytes,
                  path: str) -> Tuple[np.dtype, Tuple[int, ...], int]:
    """Element dtype, shape and header size from the start of ``data``."""
    if len(data) < 4:
        raise ValueError(
            f'Truncated IDX file {path}: {len(data)} bytes, fewer than the '
            '4 bytes of the magic number.')
    code, ndim = data[2], data[3]
    if data[:2] != b'\x00\x00' or code not in IDX_DTYPES or ndim == 0:
        raise ValueError(
            f'Not an IDX file: {path} starts with magic number '
            f'0x{data[:4].hex().upper()}; expected 0x0000TTDD with type '
            f'code TT in {[f"{c:02X}" for c in IDX_DTYPES]} and DD >= 1 '
            'dimensions (0x00000803 for images, 0x00000801 for labels).')
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise ValueError(
            f'Truncated IDX file {path}: {len(data)} bytes, fewer than the '
            f'{header_size} bytes of a header with {ndim} dimensions.')
    shape = struct.unpack(f'>{ndim}I', data[4:header_size])
    return IDX_DTYPES[code], shape, header_size


def read_idx_file(path: str) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a numpy array.

    Args:
        path (str): Path of the file; a name ending in ``.gz`` is read
            through gzip.

    Returns:
        np.ndarray: A writable array in native byte order, with the shape
        and element type that the header declares.

    Raises:
        ValueError: If the file is not valid gzip, its magic number is not
            an IDX one, or its size disagrees with the header (truncated
            or with trailing bytes). The message names the file.
    """
    data = _read_bytes(path)
    dtype, shape, header_size = _parse_header(data, path)
    expected = header_size + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        problem = 'Truncated' if len(data) < expected else 'Trailing bytes in'
        raise ValueError(
            f'{problem} IDX file {path}: the header declares shape '
            f'{tuple(shape)} of {dtype.name}, {expected} bytes in all, but '
            f'the file has {len(data)} bytes.')
    array = np.frombuffer(data, dtype=dtype, offset=header_size)
    return array.reshape(shape).astype(dtype.newbyteorder('='))
