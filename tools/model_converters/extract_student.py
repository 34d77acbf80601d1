"""Extract the student of a distillation checkpoint as a plain checkpoint.

Reads a training checkpoint of :class:`PWKDDistiller` (PWKD or vanilla KD)
with ``torch.load(weights_only=True)``, keeps the ``student.`` weights
without that prefix and drops those of the teacher, the connectors and
everything else. Writes ``{'state_dict': ..., 'meta': ...}``, which loads
with ``strict=True`` into the student's own mmpretrain config.
"""
import argparse
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

import torch
from torch import Tensor

from mmpwkd import __version__

STUDENT_PREFIX = 'student.'
# Added by DDP when a wrapped model's state dict was saved.
WRAPPER_PREFIX = 'module.'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract the student of a PWKD/KD checkpoint as a plain '
        'mmpretrain checkpoint')
    parser.add_argument('checkpoint', help='training checkpoint (.pth)')
    parser.add_argument(
        '--out', required=True, help='file for the student checkpoint')
    return parser.parse_args(argv)


def load_checkpoint_safely(path: str) -> dict:
    """Load a checkpoint file with ``weights_only=True``.

    ``import mmpwkd`` allowlists what mmengine checkpoints contain; any other
    global (a pickle that would run code) is refused by torch.

    Args:
        path (str): Checkpoint file.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: If ``path`` is not a file.
        ValueError: If the file cannot be unpickled safely, or holds no dict.
    """
    if not Path(path).is_file():
        raise FileNotFoundError(f'checkpoint {path!r}: no such file')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # truncated, corrupt or unsafe pickle
        raise ValueError(
            f'checkpoint {path!r} cannot be loaded with weights_only=True '
            '(a corrupt file, or one holding objects other than weights, '
            f'which could run code): {type(error).__name__}: {error}'
        ) from error
    if not isinstance(checkpoint, dict):
        raise ValueError(f'checkpoint {path!r} holds a '
                         f'{type(checkpoint).__name__}, expected a dict')
    return checkpoint


def student_state_dict(state_dict: Mapping[str, Tensor],
                       source: str) -> Dict[str, Tensor]:
    """The ``student.`` entries of a distiller's state dict, unprefixed.

    Args:
        state_dict (Mapping[str, Tensor]): The distiller's state dict; keys
            may start with ``module.``.
        source (str): Where it came from, for the error message.

    Returns:
        Dict[str, Tensor]: The student's state dict, in the original order.

    Raises:
        ValueError: If there is no ``student.`` key.
    """
    student = OrderedDict()
    for key, value in state_dict.items():
        if key.startswith(WRAPPER_PREFIX):
            key = key[len(WRAPPER_PREFIX):]
        if key.startswith(STUDENT_PREFIX):
            student[key[len(STUDENT_PREFIX):]] = value
    if not student:
        sample = list(state_dict)[:5]
        raise ValueError(
            f'checkpoint {source!r} is not a PWKDDistiller checkpoint: no '
            f"key starts with {STUDENT_PREFIX!r} (first keys: {sample})")
    return student


def extract_student(checkpoint: Mapping, source: str) -> dict:
    """The student checkpoint: ``state_dict`` and ``meta``.

    Args:
        checkpoint (Mapping): A distiller checkpoint as mmengine saves it
            (``state_dict`` and ``meta``), or a bare state dict.
        source (str): Path of the checkpoint, recorded in ``meta``.

    Returns:
        dict: ``state_dict`` of the student; ``meta`` with
        ``source_checkpoint``, ``mmpwkd_version``, and ``epoch``, ``iter``
        and ``dataset_meta`` where the source meta has them.
    """
    state_dict = checkpoint.get('state_dict', checkpoint)
    source_meta = checkpoint.get('meta') or {}
    meta = dict(source_checkpoint=source, mmpwkd_version=__version__)
    for key in ('epoch', 'iter', 'dataset_meta'):
        if key in source_meta:
            meta[key] = source_meta[key]
    return dict(
        state_dict=student_state_dict(state_dict, source), meta=meta)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    try:
        checkpoint = load_checkpoint_safely(args.checkpoint)
        student = extract_student(checkpoint, args.checkpoint)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'extract_student: {error}') from error
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save(student, out)
    total = len(checkpoint.get('state_dict', checkpoint))
    kept = len(student['state_dict'])
    print(f'Wrote the student ({kept} of {total} tensors; teacher, '
          f'connectors and the rest dropped) to {out}')


if __name__ == '__main__':
    main()
