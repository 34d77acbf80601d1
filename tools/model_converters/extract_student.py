"""Extract the student of a distillation checkpoint as a plain checkpoint.

Reads a training checkpoint of :class:`PWKDDistiller` (PWKD or vanilla KD)
with ``torch.load(weights_only=True)``, keeps the ``student.`` weights
without that prefix and drops those of the teacher, the connectors and
everything else. Writes ``{'state_dict': ..., 'meta': ...}`` and, beside
it, the student's config (``student.pth`` -> ``student.py``): the training
config with the student as its model, our types scoped
(``mmpwkd.CIFARResNet``) so that stock ``mmpretrain.get_model``,
``init_model`` and ``ImageClassificationInferencer`` build it. It is a
clean classifier config (:func:`mmpwkd.utils.exported_config`): no
``work_dir``, so fine-tuning or testing the student never writes into the
distillation run, and no distillation hooks or stage schedules. The config
comes from ``--config`` or from the checkpoint's own ``meta['cfg']`` (which
mmengine's Runner saves), read as literals and never executed
(:func:`mmpwkd.safety.config_text.literal_config`); the weights are checked
to be finite and to load into it with ``strict=True`` before anything is
written. Both files are written atomically and never over the inputs.
"""
import argparse
import copy
import pickle
from collections import OrderedDict
from pathlib import Path
from typing import Dict, Mapping, Optional, Sequence

from mmengine.config import Config
from mmengine.registry import init_default_scope
from torch import Tensor

from mmpwkd import __version__
from mmpwkd.utils import (check_not_input, exported_config,
                          register_all_modules, save_config, save_weights)
from mmpwkd.utils.checkpoint_fit import non_finite_keys, read_checkpoint
from mmpwkd.safety.config_text import literal_config

TOOL = 'extract_student'

STUDENT_PREFIX = 'student.'
# Added by DDP when a wrapped model's state dict was saved.
WRAPPER_PREFIX = 'module.'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Extract the student of a PWKD/KD checkpoint as a plain '
        'mmpretrain checkpoint')
    parser.add_argument('checkpoint', help='training checkpoint (.pth)')
    parser.add_argument(
        '--out',
        required=True,
        help='file for the student checkpoint; its config goes beside it '
        '(student.pth -> student.py)')
    parser.add_argument(
        '--config',
        help='the distillation config; defaults to the one saved in the '
        "checkpoint's meta")
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
        ValueError: If the file is empty or corrupt, or holds no dict.
        pickle.UnpicklingError: If it cannot be unpickled safely.
    """
    checkpoint = read_checkpoint(path)
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


def student_config(cfg: Config) -> Config:
    """The distillation config turned into the student's own.

    The student becomes the model (with the distiller's data preprocessor
    unless it has its own), our types are scoped for stock mmpretrain, the
    hooks that drive a distiller are dropped and per-width metrics give way
    to ``Accuracy``: the student has no widths and no teacher.

    Args:
        cfg (Config): A config whose model is a ``PWKDDistiller``.

    Returns:
        Config: The student's config, a new one.

    Raises:
        ValueError: If ``cfg.model`` has no ``student``.
    """
    model = cfg.get('model') or {}
    if 'student' not in model:
        raise ValueError(
            f'config {cfg.filename!r}: model.student is missing (model type '
            f"{model.get('type')!r}); expected a PWKDDistiller config")
    student = model['student'].to_dict() if hasattr(
        model['student'], 'to_dict') else dict(model['student'])
    if model.get('data_preprocessor') is not None:
        student.setdefault('data_preprocessor', model['data_preprocessor'])
    return exported_config(cfg, student)


def _source_config(args: argparse.Namespace, checkpoint: Mapping) -> Config:
    if args.config is not None:
        return Config.fromfile(args.config)
    meta = checkpoint.get('meta')
    text = meta.get('cfg') if isinstance(meta, Mapping) else None
    if not isinstance(text, str):
        raise ValueError(
            f'checkpoint {args.checkpoint!r} has no config in meta.cfg '
            '(mmengine saves one with every training checkpoint); pass '
            'the distillation config with --config')
    return literal_config(text, f'{args.checkpoint}:meta.cfg')


def _check_loads(cfg: Config, state_dict: Mapping[str, Tensor]) -> None:
    """Check that the weights are finite, build the student from ``cfg`` and
    load them strictly, so that weights a run broke, or a config that does
    not fit them, are never written."""
    from mmpwkd.registry import MODELS

    broken = non_finite_keys(state_dict)
    if broken:
        raise ValueError(
            f'the student weights hold NaN or Inf in {len(broken)} tensors, '
            f'e.g. {broken[:5]}: a run trained into a non-finite loss; '
            'extract an earlier checkpoint of that run')

    register_all_modules(init_default_scope=False)
    init_default_scope(cfg.get('default_scope', 'mmpwkd'))
    # A copy: mmpretrain's classifiers fill in the config they get.
    model = MODELS.build(copy.deepcopy(cfg.model))
    prefix = 'the student weights do not fit model.student of the config'
    try:
        missing, unexpected = model.load_state_dict(state_dict, strict=False)
    except RuntimeError as error:  # shapes differ
        raise ValueError(f'{prefix}: {error}') from error
    if missing or unexpected:
        raise ValueError(
            f'{prefix}: missing keys {missing[:5]} ({len(missing)} in all), '
            f'unexpected keys {unexpected[:5]} ({len(unexpected)} in all)')


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    out = Path(args.out)
    out_config = out.with_suffix('.py')
    for path in (out, out_config):
        check_not_input(
            TOOL, path, checkpoint=args.checkpoint, config=args.config)
    try:
        checkpoint = load_checkpoint_safely(args.checkpoint)
        student = extract_student(checkpoint, args.checkpoint)
        cfg = student_config(_source_config(args, checkpoint))
        _check_loads(cfg, student['state_dict'])
    except (FileNotFoundError, ValueError, pickle.UnpicklingError) as error:
        raise SystemExit(f'{TOOL}: {error}') from error
    save_config(cfg, out_config)
    save_weights(student, out)
    total = len(checkpoint.get('state_dict', checkpoint))
    kept = len(student['state_dict'])
    print(f'Wrote the student ({kept} of {total} tensors; teacher, '
          f'connectors and the rest dropped) to {out}, its config to '
          f'{out_config}')


if __name__ == '__main__':
    main()
