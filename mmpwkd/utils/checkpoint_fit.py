"""Whether a checkpoint's weights fit a model, said before it is scored.

mmengine loads a checkpoint whose keys or shapes do not fit the model with
a log warning and scores the untouched weights: an extracted student under
the distiller config tests at chance and exits 0.
:func:`check_checkpoint_fits` makes any missing or unexpected key, and any
tensor of another shape, an error that names them and, where it can tell,
the config that fits. :func:`read_checkpoint` says which file is broken and
how, and :func:`weights_of` what in it the weights are;
:func:`non_finite_keys` finds the NaN/Inf tensors that an export or a
teacher must not carry on.
"""
import os.path as osp
import pickle
import re
from typing import Any, Iterable, List, Mapping, Optional, Set

import torch.nn as nn
from torch import Tensor
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader

__all__ = [
    'check_checkpoint_fits', 'non_finite_keys', 'read_checkpoint', 'weights_of'
]

DISTILLER_PARTS = ('student.', 'teacher.')
SHOWN = 5


def read_checkpoint(filename: str) -> Any:
    """Load ``filename`` through mmengine's loaders (``weights_only=True``
    for every scheme, see :mod:`.checkpoint`), naming the file and what is
    wrong with it when it cannot be read.

    Args:
        filename (str): A checkpoint path or URL.

    Returns:
        Any: The loaded checkpoint.

    Raises:
        FileNotFoundError: If a local ``filename`` does not exist.
        ValueError: If it is empty, truncated or corrupt.
        pickle.UnpicklingError: If it holds objects other than weights.
    """
    local = '://' not in filename
    if local and not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r}: no such file')
    if local and osp.getsize(filename) == 0:
        raise ValueError(f'checkpoint {filename!r} is empty (0 bytes): an '
                         'interrupted copy or save?')
    try:
        return CheckpointLoader.load_checkpoint(filename, 'cpu')
    except Exception as error:  # truncated, corrupt or unsafe pickle
        size = f'{osp.getsize(filename)} bytes: ' if local else ''
        message = (
            f'checkpoint {filename!r} cannot be loaded with '
            f'weights_only=True ({size}a truncated or corrupt file, or one '
            'holding objects other than weights, which could run code): '
            f'{type(error).__name__}: {error}')
        # An unsafe pickle keeps its type, which callers may catch.
        kind = pickle.UnpicklingError if isinstance(
            error, pickle.UnpicklingError) else ValueError
        raise kind(message) from error


def weights_of(checkpoint: Any, source: str) -> Mapping[str, Tensor]:
    """The weights of a loaded checkpoint: its ``state_dict``, or the
    checkpoint itself where it is a plain dict of weights.

    Args:
        checkpoint (Any): What :func:`read_checkpoint` returned.
        source (str): How errors name the file, e.g. ``"checkpoint 'a.pth'"``.

    Raises:
        ValueError: If the checkpoint, or its ``state_dict``, is no dict.
    """
    if not isinstance(checkpoint, Mapping):
        raise ValueError(f'{source} holds a {type(checkpoint).__name__}, '
                         'expected a dict of weights (or a dict with a '
                         'state_dict)')
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping):
        raise ValueError(f'{source}: its state_dict is a '
                         f'{type(state).__name__}, expected a dict of tensors')
    return state


def non_finite_keys(state_dict: Mapping[str, Any]) -> List[str]:
    """Keys of floating-point tensors that hold a NaN or an Inf.

    Args:
        state_dict (Mapping[str, Any]): Weights; non-tensors are skipped.

    Returns:
        list[str]: The keys, in order.
    """
    return [
        key for key, value in state_dict.items()
        if isinstance(value, Tensor) and value.is_floating_point()
        and not bool(value.isfinite().all())
    ]


def _keys(state_dict: Iterable[str]) -> Set[str]:
    # mmengine's load_checkpoint strips a DDP prefix the same way.
    return {re.sub(r'^module\.', '', key) for key in state_dict}


def _listed(keys: Set[str]) -> str:
    shown = sorted(keys)[:SHOWN]
    more = f' and {len(keys) - SHOWN} more' if len(keys) > SHOWN else ''
    return f'{shown}{more}'


def _hint(model_keys: Set[str], ckpt_keys: Set[str],
          written_by: Optional[str]) -> str:
    hints: List[str] = []
    if written_by:
        hints.append(f'The checkpoint was written by config {written_by!r}.')
    in_student = {f'student.{key}' for key in ckpt_keys}
    if in_student and in_student <= model_keys:
        hints.append(
            'It holds a classifier (a student extracted by '
            'tools/model_converters/extract_student.py?) and this config is '
            "a distiller: test it with the student's own config (the .py "
            'written next to the extracted weights).')
    elif all(key.startswith(DISTILLER_PARTS) for key in ckpt_keys) and not (
            any(key.startswith(DISTILLER_PARTS) for key in model_keys)):
        hints.append(
            "It is a distiller's checkpoint (student.* and teacher.* keys) "
            'and this config is a classifier: test it with the distiller '
            'config that wrote it, or extract the student first with '
            'tools/model_converters/extract_student.py.')
    return ' '.join(hints)


def _shape_mismatches(model: nn.Module,
                      state_dict: Mapping[str, Any]) -> List[str]:
    own = {
        re.sub(r'^module\.', '', key): value
        for key, value in model.state_dict().items()
    }
    found = []
    for key, value in state_dict.items():
        key = re.sub(r'^module\.', '', key)
        if key in own and isinstance(value, Tensor) and (
                value.shape != own[key].shape):
            found.append(f'{key}: checkpoint {tuple(value.shape)}, model '
                         f'{tuple(own[key].shape)}')
    return found


def check_checkpoint_fits(model: nn.Module, filename: str) -> None:
    """Raise if ``filename``'s weights miss keys of ``model``, hold keys
    it does not have, or hold tensors of other shapes.

    Args:
        model (nn.Module): The model to be scored (wrapped or not).
        filename (str): The checkpoint, as for mmengine's loaders.

    Raises:
        ValueError: Naming the missing and unexpected keys and, where the
            keys tell, the kind of config the checkpoint fits; or naming the
            tensors of other shapes with both shapes.
    """
    if is_model_wrapper(model):
        model = model.module
    checkpoint = read_checkpoint(filename)
    state_dict = weights_of(checkpoint, f'checkpoint={filename!r}')
    model_keys, ckpt_keys = _keys(model.state_dict()), _keys(state_dict)
    missing, unexpected = model_keys - ckpt_keys, ckpt_keys - model_keys
    if not missing and not unexpected:
        mismatches = _shape_mismatches(model, state_dict)
        if mismatches:
            raise ValueError(
                f'checkpoint={filename!r} does not fit the config\'s model '
                f'{type(model).__name__}: {len(mismatches)} tensors differ '
                f'in shape: {"; ".join(mismatches[:SHOWN])}'
                f'{" and more" if len(mismatches) > SHOWN else ""}')
        return
    run = checkpoint.get('meta', {}).get('run') or {}
    raise ValueError(
        f'checkpoint={filename!r} does not fit the config\'s '
        f'model {type(model).__name__}: {len(missing)} of its '
        f'{len(model_keys)} weights are missing ({_listed(missing)}), '
        f'{len(unexpected)} of the checkpoint\'s {len(ckpt_keys)} are '
        f'unexpected ({_listed(unexpected)}). '
        f'{_hint(model_keys, ckpt_keys, run.get("config"))}'.rstrip())
