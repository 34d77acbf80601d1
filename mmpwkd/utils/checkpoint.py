"""Safe loading of mmengine checkpoints with ``weights_only=True``.

Since torch 2.6, ``torch.load`` refuses every global that is not on an
allowlist, and mmengine 0.10.7 checkpoints carry a few: the message hub's
``HistoryBuffer`` (with numpy arrays and scalars inside it) and its statistics
methods, which pickle as ``getattr(HistoryBuffer, 'mean')``. We allow exactly
those, so resuming works while a checkpoint that tries anything else (for
example ``os.system``) is still refused by torch.

mmengine 0.10.7 loads every URL it accepts (``http(s)://``, ``mmcls://``,
``open-mmlab://``, ``torchvision://``, ``modelzoo://``) through one module
global, ``mmengine.runner.checkpoint.load_url``, which is torch.hub's
``load_state_dict_from_url``, whose ``weights_only`` defaults to False: a
hostile file behind a URL (or in the hub cache under its name) runs its
pickle. We replace that global with a weights-only loader: a measured bug
of the pinned stack, fixed at the one place all URL schemes share.
"""
import os.path as osp
import pickle
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer
from mmengine.runner import checkpoint as mmengine_checkpoint
from mmengine.runner.checkpoint import CheckpointLoader

from .config_text import without_config_code

__all__ = [
    'load_local_checkpoint', 'load_url_weights_only',
    'register_checkpoint_safe_globals', 'safe_getattr'
]

# The statistics methods of ``HistoryBuffer`` that its message-hub state
# references; nothing else may be looked up through ``getattr``.
HISTORY_BUFFER_STATISTICS = frozenset(('min', 'max', 'current', 'mean'))

# numpy dtype classes that appear in checkpoints of numeric logs.
_NUMPY_DTYPE_NAMES = (
    'BoolDType', 'Int8DType', 'Int16DType', 'Int32DType', 'Int64DType',
    'UInt8DType', 'UInt16DType', 'UInt32DType', 'UInt64DType', 'ByteDType',
    'UByteDType', 'ShortDType', 'UShortDType', 'IntDType', 'UIntDType',
    'LongDType', 'ULongDType', 'LongLongDType', 'ULongLongDType',
    'Float16DType', 'Float32DType', 'Float64DType', 'LongDoubleDType',
    'Complex64DType', 'Complex128DType')


def safe_getattr(obj: Any, name: str) -> Callable:
    """``getattr`` restricted to the statistics methods of HistoryBuffer.

    It stands in for ``builtins.getattr`` while unpickling a checkpoint.

    Args:
        obj (Any): The object looked up; must be ``HistoryBuffer``.
        name (str): The attribute; one of ``min``, ``max``, ``current``,
            ``mean``.

    Returns:
        Callable: The unbound statistics method.

    Raises:
        pickle.UnpicklingError: For any other object or attribute.
    """
    if obj is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Refused getattr({obj!r}, {name!r}) while loading a checkpoint: '
        'only getattr(HistoryBuffer, name) with name in '
        f'{sorted(HISTORY_BUFFER_STATISTICS)} is allowed.')


def _numpy_globals() -> List[Tuple[Any, str]]:
    """numpy globals under both numpy 2 (``numpy._core``) and numpy 1
    (``numpy.core``) module names, so old checkpoints load too."""
    reconstruct = np.ndarray.__reduce__(np.zeros(1))[0]
    scalar = np.float64(0).__reduce__()[0]
    entries: List[Tuple[Any, str]] = []
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        entries.append((reconstruct, f'{module}._reconstruct'))
        entries.append((scalar, f'{module}.scalar'))
    entries += [(np.ndarray, 'numpy.ndarray'), (np.dtype, 'numpy.dtype')]
    for name in _NUMPY_DTYPE_NAMES:
        dtype_cls = getattr(np.dtypes, name, None)
        if dtype_cls is not None:
            entries.append((dtype_cls, f'numpy.dtypes.{name}'))
    return entries


def checkpoint_safe_globals() -> List[Union[Any, Tuple[Any, str]]]:
    """Everything an mmengine checkpoint needs beyond torch's defaults."""
    return [HistoryBuffer, (safe_getattr, 'builtins.getattr'),
            *_numpy_globals()]


def register_checkpoint_safe_globals() -> None:
    """Add the mmengine checkpoint allowlist to ``torch.load``.

    Idempotent. Called when ``mmpwkd`` is imported, so ``--resume``,
    ``load_from`` and ``load_checkpoint`` all work with ``weights_only=True``.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local_checkpoint, force=True)
    mmengine_checkpoint.load_url = load_url_weights_only


def load_url_weights_only(url: str,
                          model_dir: Optional[str] = None,
                          map_location: Optional[Any] = None,
                          progress: bool = True,
                          check_hash: bool = False,
                          file_name: Optional[str] = None,
                          weights_only: bool = True) -> Any:
    """torch.hub's ``load_state_dict_from_url`` that loads weights only.

    Args:
        url (str): The checkpoint's URL (downloaded once into torch.hub's
            cache, as torch does).
        model_dir, map_location, progress, check_hash, file_name: As for
            :func:`torch.hub.load_state_dict_from_url`.
        weights_only (bool): Must stay True; anything else is refused.

    Returns:
        Any: The loaded checkpoint.
    """
    if weights_only is not True:
        raise ValueError('mmpwkd loads checkpoints from URLs with '
                         f'weights_only=True only, got {weights_only!r}')
    return without_config_code(torch.hub.load_state_dict_from_url(
        url, model_dir=model_dir, map_location=map_location,
        progress=progress, check_hash=check_hash, file_name=file_name,
        weights_only=True))


def load_local_checkpoint(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """mmengine's loader of local checkpoint files, with ``weights_only``
    explicit: torch's default can be turned off by an environment
    variable, and then ``load_from``, ``--resume`` and ``load_checkpoint``
    would unpickle anything; an explicit argument cannot be.

    Args:
        filename (str): Local path of the checkpoint.
        map_location (optional): As for :func:`torch.load`.

    Returns:
        Any: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return without_config_code(
        torch.load(filename, map_location=map_location, weights_only=True))
