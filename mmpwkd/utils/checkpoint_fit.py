"""Whether a checkpoint's weights fit a model, said before it is scored.

mmengine loads a checkpoint whose keys do not fit the model with a log
warning and scores the untouched weights: an extracted student under the
distiller config tests at chance and exits 0. :func:`check_checkpoint_fits`
makes any missing or unexpected key an error that names the keys and, where
it can tell, the config that fits.
"""
import re
from typing import Iterable, List, Optional, Set

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader

DISTILLER_PARTS = ('student.', 'teacher.')
SHOWN = 5


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


def check_checkpoint_fits(model: nn.Module, filename: str) -> None:
    """Raise if ``filename``'s weights miss keys of ``model`` or hold keys
    it does not have.

    Args:
        model (nn.Module): The model to be scored (wrapped or not).
        filename (str): The checkpoint, as for mmengine's loaders.

    Raises:
        ValueError: Naming the missing and unexpected keys and, where the
            keys tell, the kind of config the checkpoint fits.
    """
    if is_model_wrapper(model):
        model = model.module
    checkpoint = CheckpointLoader.load_checkpoint(filename, 'cpu')
    state_dict = checkpoint.get('state_dict', checkpoint) if isinstance(
        checkpoint, dict) else None
    if not isinstance(state_dict, dict):
        raise ValueError(
            f'checkpoint={filename!r} holds a {type(checkpoint).__name__}, '
            'expected a dict of weights (or a dict with a state_dict)')
    model_keys, ckpt_keys = _keys(model.state_dict()), _keys(state_dict)
    missing, unexpected = model_keys - ckpt_keys, ckpt_keys - model_keys
    if not missing and not unexpected:
        return
    run = checkpoint.get('meta', {}).get('run') or {}
    raise ValueError(
        f'checkpoint={filename!r} does not fit the config\'s '
        f'model {type(model).__name__}: {len(missing)} of its '
        f'{len(model_keys)} weights are missing ({_listed(missing)}), '
        f'{len(unexpected)} of the checkpoint\'s {len(ckpt_keys)} are '
        f'unexpected ({_listed(unexpected)}). '
        f'{_hint(model_keys, ckpt_keys, run.get("config"))}'.rstrip())
