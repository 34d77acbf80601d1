"""Loading a frozen teacher's checkpoint with errors that say what is off."""
from collections import OrderedDict
from typing import Dict, List, Mapping

from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor, nn

__all__ = ['load_teacher_checkpoint']


def _state_dict_of(checkpoint: object, path: str) -> Dict[str, Tensor]:
    if not isinstance(checkpoint, dict):
        raise ValueError(f'teacher_ckpt={path!r} holds a '
                         f'{type(checkpoint).__name__}, expected a dict with '
                         'a state_dict')
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, Mapping):
        raise ValueError(f'teacher_ckpt={path!r}: its state_dict is a '
                         f'{type(state).__name__}, expected a dict of '
                         'tensors')
    return OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in state.items())


def _shape_mismatches(teacher: nn.Module,
                      state: Mapping[str, Tensor]) -> List[str]:
    own = teacher.state_dict()
    return [
        f'{key}: checkpoint {tuple(value.shape)}, teacher '
        f'{tuple(own[key].shape)}' for key, value in state.items()
        if key in own and isinstance(value, Tensor)
        and value.shape != own[key].shape
    ]


def load_teacher_checkpoint(teacher: nn.Module, path: str) -> None:
    """Load ``path`` into ``teacher`` strictly, through the safe loader.

    Args:
        teacher (nn.Module): The teacher model.
        path (str): Checkpoint file (or any URI mmengine can read).

    Raises:
        ValueError: If the file cannot be read or unpickled safely, if its
            keys or shapes do not match the teacher (the message lists the
            missing and unexpected keys).
    """
    try:
        checkpoint = CheckpointLoader.load_checkpoint(
            path, map_location='cpu')
    except FileNotFoundError as error:
        raise ValueError(f'teacher_ckpt={path!r}: file not found') from error
    except Exception as error:  # truncated, corrupt or unsafe pickle
        raise ValueError(f'teacher_ckpt={path!r} cannot be loaded: '
                         f'{type(error).__name__}: {error}') from error
    state = _state_dict_of(checkpoint, path)
    mismatches = _shape_mismatches(teacher, state)
    if mismatches:
        raise ValueError(
            f'teacher_ckpt={path!r} does not fit the teacher: '
            f'{len(mismatches)} tensors differ in shape, e.g. '
            f'{mismatches[:5]}')
    try:
        result = teacher.load_state_dict(state, strict=False)
    except RuntimeError as error:  # a mismatch that a load hook found
        raise ValueError(f'teacher_ckpt={path!r} does not fit the teacher: '
                         f'{error}') from error
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f'teacher_ckpt={path!r} does not match the teacher config: '
            f'missing keys {list(result.missing_keys)[:20]}, unexpected '
            f'keys {list(result.unexpected_keys)[:20]} (of '
            f'{len(result.missing_keys)} and '
            f'{len(result.unexpected_keys)})')
