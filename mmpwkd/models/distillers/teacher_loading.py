"""Loading a frozen teacher's checkpoint with errors that say what is off."""
from collections import OrderedDict
from typing import Dict

from mmengine.runner.checkpoint import _load_checkpoint
from torch import Tensor, nn

__all__ = ['load_teacher_checkpoint']


def _state_dict_of(checkpoint: object, path: str) -> Dict[str, Tensor]:
    if not isinstance(checkpoint, dict):
        raise ValueError(f'teacher_ckpt={path!r} holds a '
                         f'{type(checkpoint).__name__}, expected a dict with '
                         'a state_dict')
    state = checkpoint.get('state_dict', checkpoint)
    return OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in state.items())


def load_teacher_checkpoint(teacher: nn.Module, path: str) -> None:
    """Load ``path`` into ``teacher`` strictly, through the safe loader.

    Args:
        teacher (nn.Module): The teacher model.
        path (str): Checkpoint file (or any URI mmengine can read).

    Raises:
        ValueError: If the file cannot be read or unpickled safely, or if its
            keys or shapes do not match the teacher (the message lists the
            missing and unexpected keys).
    """
    try:
        checkpoint = _load_checkpoint(path, map_location='cpu')
    except FileNotFoundError as error:
        raise ValueError(f'teacher_ckpt={path!r}: file not found') from error
    except Exception as error:  # truncated, corrupt or unsafe pickle
        raise ValueError(f'teacher_ckpt={path!r} cannot be loaded: '
                         f'{type(error).__name__}: {error}') from error
    state = _state_dict_of(checkpoint, path)
    try:
        result = teacher.load_state_dict(state, strict=False)
    except RuntimeError as error:  # shape mismatch
        raise ValueError(f'teacher_ckpt={path!r} does not fit the teacher: '
                         f'{error}') from error
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f'teacher_ckpt={path!r} does not match the teacher config: '
            f'missing keys {list(result.missing_keys)[:20]}, unexpected '
            f'keys {list(result.unexpected_keys)[:20]} (of '
            f'{len(result.missing_keys)} and '
            f'{len(result.unexpected_keys)})')
