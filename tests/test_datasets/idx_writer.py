"""Writes small IDX files, so that no dataset test needs the real data."""
import gzip
import struct
from pathlib import Path

import numpy as np

# IDX type codes by numpy kind and item size; elements are big-endian.
IDX_CODES = {'u1': 0x08, 'i1': 0x09, 'i2': 0x0B, 'i4': 0x0C, 'f4': 0x0D,
             'f8': 0x0E}


def idx_bytes(array: np.ndarray) -> bytes:
    """The IDX encoding of ``array``: magic, sizes, big-endian elements."""
    code = IDX_CODES[f'{array.dtype.kind}{array.dtype.itemsize}']
    magic = bytes([0, 0, code, array.ndim])
    sizes = struct.pack(f'>{array.ndim}I', *array.shape)
    body = array.astype(array.dtype.newbyteorder('>')).tobytes()
    return magic + sizes + body


def write_raw(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path``, gzipped when the name ends in ``.gz``."""
    opener = gzip.open if path.suffix == '.gz' else open
    with opener(path, 'wb') as f:
        f.write(data)
    return path


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file, gzipped when the name ends in .gz."""
    return write_raw(path, idx_bytes(array))
