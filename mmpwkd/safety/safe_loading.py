"""Safe loading of checkpoints: weights only, through every loader.

Since torch 2.6, ``torch.load`` refuses every global that is not on an
allowlist, and mmengine 0.10.7 checkpoints carry a few: the message hub's
``HistoryBuffer`` (with numpy arrays and scalars inside it) and its statistics
methods, which pickle as ``getattr(HistoryBuffer, 'mean')``. We allow exactly
those, so resuming works while a checkpoint that tries anything else (for
example ``os.system``) is still refused by torch.

mmengine 0.10.7's checkpoint loaders call ``torch.load`` with torch's
default (which torch's environment switch for old checkpoints turns off),
or torch.hub's ``load_state_dict_from_url``, whose ``weights_only``
defaults to False. Every
prefix mmengine knows (local paths, ``http(s)://``, ``torchvision://``,
``modelzoo://``, ``open-mmlab://``, ``openmmlab://``, ``mmcls://``,
``pavi://``, ``s3://``, ``petrel://``) is therefore registered again through
mmengine's public ``CheckpointLoader.register_scheme(..., force=True)`` with
a loader that passes ``weights_only=True`` explicitly, which no environment
variable overrides: one rule for every checkpoint path.
"""
import io
import os
import os.path as osp
import pickle
from tempfile import TemporaryDirectory
from typing import Any, Callable, List, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.fileio import get_file_backend
from mmengine.logging.history_buffer import HistoryBuffer
from .config_text import without_config_code
from mmengine.runner.checkpoint import (CheckpointLoader,
                                        get_deprecated_model_names,
                                        get_external_models,
                                        get_mmcls_models,
                                        get_torchvision_models)

__all__ = ['register_safe_loading', 'safe_getattr', 'torch_load']

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


def register_safe_loading() -> None:
    """Add the mmengine checkpoint allowlist to ``torch.load`` and register
    a weights-only loader for every checkpoint prefix of mmengine.

    Idempotent. Called when ``mmpwkd`` is imported, so ``--resume``,
    ``load_from``, ``init_cfg``, ``teacher_ckpt`` and ``load_checkpoint``
    all load with ``weights_only=True``.
    """
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    for prefixes, loader in LOADERS:
        CheckpointLoader.register_scheme(prefixes, loader, force=True)


def torch_load(source: Any, map_location: Optional[Any] = None) -> Any:
    """``torch.load`` with ``weights_only=True``, whatever the environment.

    Args:
        source (str | file-like): What to unpickle.
        map_location (optional): As for :func:`torch.load`.
    """
    return without_config_code(
        torch.load(source, map_location=map_location, weights_only=True))


def load_from_local(filename: str, map_location: Optional[Any] = None) -> Any:
    """A local checkpoint file, weights only.

    Args:
        filename (str): Local path of the checkpoint.
        map_location (optional): As for :func:`torch.load`.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    return torch_load(filename, map_location)


def load_from_http(filename: str, map_location: Optional[Any] = None) -> Any:
    """A checkpoint URL, downloaded once into torch.hub's cache (by rank 0
    first in a distributed run, as mmengine does), weights only.

    Args:
        filename (str): ``http://`` or ``https://`` URL.
        map_location (optional): As for :func:`torch.load`.
    """
    rank, world_size = get_dist_info()

    def download() -> Any:
        return torch.hub.load_state_dict_from_url(
            filename, map_location=map_location, weights_only=True)

    checkpoint = download() if rank == 0 else None
    if world_size > 1:
        torch.distributed.barrier()
        if rank > 0:
            checkpoint = download()
    return without_config_code(checkpoint)


def load_from_torchvision(filename: str,
                          map_location: Optional[Any] = None) -> Any:
    """``torchvision://NAME`` (or the older ``modelzoo://NAME``): the URL
    torchvision names, weights only."""
    name = filename.split('://', 1)[1]
    return load_from_http(get_torchvision_models()[name], map_location)


def mmengine_home() -> str:
    """mmengine's folder for downloaded and local model-zoo checkpoints."""
    return osp.expanduser(
        os.getenv('MMENGINE_HOME',
                  osp.join(os.getenv('XDG_CACHE_HOME', '~/.cache'),
                           'mmengine')))


def load_from_openmmlab(filename: str,
                        map_location: Optional[Any] = None) -> Any:
    """``open-mmlab://NAME`` (or ``openmmlab://NAME``): the URL or the file
    under mmengine's home that the model zoo names, weights only."""
    name = filename.split('://', 1)[1]
    name = get_deprecated_model_names().get(name, name)
    url = get_external_models()[name]
    if url.startswith(('http://', 'https://')):
        return load_from_http(url, map_location)
    return load_from_local(osp.join(mmengine_home(), url), map_location)


def load_from_mmcls(filename: str, map_location: Optional[Any] = None) -> Any:
    """``mmcls://NAME``: the backbone weights of an mmcls model-zoo
    checkpoint (``backbone.`` prefix removed, as mmengine does), weights
    only."""
    checkpoint = load_from_http(get_mmcls_models()[filename[len('mmcls://'):]],
                                map_location)
    state_dict = checkpoint.get('state_dict', checkpoint)
    return dict(state_dict={
        key[len('backbone.'):]: value
        for key, value in state_dict.items() if key.startswith('backbone.')
    })


def load_from_pavi(filename: str, map_location: Optional[Any] = None) -> Any:
    """``pavi://PATH`` from PAVI's model cloud, weights only."""
    from pavi import modelcloud
    model = modelcloud.get(filename[len('pavi://'):])
    with TemporaryDirectory() as folder:
        path = osp.join(folder, model.name)
        model.download(path)
        return torch_load(path, map_location)


def load_from_ceph(filename: str, map_location: Optional[Any] = None) -> Any:
    """``s3://`` / ``petrel://`` paths through mmengine's petrel backend,
    weights only."""
    backend = get_file_backend(filename, backend_args=dict(backend='petrel'))
    with io.BytesIO(backend.get(filename)) as buffer:
        return torch_load(buffer, map_location)


# The prefixes of mmengine 0.10.7's own loaders, each with ours.
LOADERS: Tuple[Tuple[Union[str, Tuple[str, ...]], Callable], ...] = (
    ('', load_from_local),
    (('http://', 'https://'), load_from_http),
    (('modelzoo://', 'torchvision://'), load_from_torchvision),
    (('open-mmlab://', 'openmmlab://'), load_from_openmmlab),
    ('mmcls://', load_from_mmcls),
    ('pavi://', load_from_pavi),
    ((r'(\S+\:)?s3://', r'(\S+\:)?petrel://'), load_from_ceph),
)
