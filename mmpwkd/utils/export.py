"""What the export tools share: configs that stock mmpretrain can build, and
outputs that never replace their inputs.

mmpretrain's ``get_model``, ``init_model`` and
``ImageClassificationInferencer`` build a model under the ``mmpretrain``
default scope, whatever the config's ``default_scope`` says, so a plain
``type='CIFARResNet'`` is looked up in mmpretrain's registry and not found.
A scoped type (``'mmpwkd.CIFARResNet'``) makes mmengine import
``mmpwkd.registry`` and look in our child registry, from any scope; our own
tools and runners resolve it as well.
"""
import io
import os.path as osp
from pathlib import Path
from typing import Any, List, Mapping, Union

import torch
from mmengine.config import Config

from mmpwkd.safety.atomic_file import atomic_write

__all__ = [
    'check_not_input', 'exported_config', 'plain_evaluator', 'save_config',
    'save_weights', 'scope_model_types'
]

EvaluatorCfg = Union[dict, List[dict], None]
SCOPE = 'mmpwkd'


def scope_model_types(cfg: Any) -> Any:
    """``cfg`` with every ``type`` that only mmpwkd registers prefixed with
    ``mmpwkd.`` (nested dicts and lists included).

    Args:
        cfg (Any): A model config (dict, list or leaf).

    Returns:
        Any: A copy with the types of our modules scoped; types of
        mmpretrain and mmengine, already scoped types and classes are kept.
    """
    from mmpwkd.registry import MODELS
    from .setup_env import register_all_modules

    # Our modules register on import: without it, MODELS looks empty.
    register_all_modules(init_default_scope=False)
    if isinstance(cfg, Mapping):
        scoped = {key: scope_model_types(value) for key, value in cfg.items()}
        kind = scoped.get('type')
        if isinstance(kind, str) and '.' not in kind and \
                kind in MODELS.module_dict:
            scoped['type'] = f'{SCOPE}.{kind}'
        return scoped
    if isinstance(cfg, (list, tuple)):
        return type(cfg)(scope_model_types(item) for item in cfg)
    return cfg


def plain_evaluator(evaluator: EvaluatorCfg) -> EvaluatorCfg:
    """Drop ``PerWidthAccuracy``, which needs the scores of a slimmable
    model or a teacher: an exported classifier has neither. mmpretrain's
    ``Accuracy`` takes its place unless the config already has one (two
    would report the same metric names).

    Args:
        evaluator (dict | list[dict] | None): ``val_evaluator`` or
            ``test_evaluator`` of the source config.

    Returns:
        dict | list[dict] | None: The evaluator of the exported model.
    """
    metrics = list(evaluator) if isinstance(evaluator,
                                            (list, tuple)) else [evaluator]
    per_width = [
        metric for metric in metrics if isinstance(metric, dict)
        and metric.get('type') == 'PerWidthAccuracy'
    ]
    if not per_width:
        return evaluator
    kept = [metric for metric in metrics if metric not in per_width]
    if not any(
            isinstance(metric, dict) and metric.get('type') == 'Accuracy'
            for metric in kept):
        kept.append(
            dict(type='Accuracy', topk=per_width[0].get('topk', (1, ))))
    return kept if isinstance(evaluator, (list, tuple)) else kept[0]


def exported_config(cfg: Config, model: dict) -> Config:
    """``cfg`` made the config of an exported classifier ``model``: its
    types scoped (:func:`scope_model_types`), the top-level
    ``data_preprocessor`` too (mmpretrain's ``get_model`` moves it into the
    model), and evaluators a classifier can feed (:func:`plain_evaluator`).

    Args:
        cfg (Config): The source config, changed in place.
        model (dict): The exported classifier's model config.

    Returns:
        Config: ``cfg``.
    """
    cfg.model = scope_model_types(model)
    if cfg.get('data_preprocessor') is not None:
        cfg.data_preprocessor = scope_model_types(cfg.data_preprocessor)
    for key in ('val_evaluator', 'test_evaluator'):
        if key in cfg:
            cfg[key] = plain_evaluator(cfg[key])
    return cfg


def check_not_input(tool: str, output: Union[str, Path],
                    **inputs: Union[str, Path, None]) -> None:
    """Refuse to write ``output`` over one of the tool's inputs.

    An export that replaces its source leaves nothing to redo it from if
    the export turns out wrong, so this is an error, not a warning.

    Args:
        tool (str): The tool's name, for the message.
        output (str | Path): A file the tool is about to write.
        **inputs (str | Path | None): The tool's input files by option
            name (``checkpoint=...``); None is skipped.

    Raises:
        SystemExit: If ``output`` is one of the inputs (after resolving
            symlinks and relative paths).
    """
    target = osp.realpath(output)
    for name, path in inputs.items():
        if path is not None and osp.realpath(path) == target:
            raise SystemExit(
                f'{tool}: the output {str(output)!r} is the input {name} '
                f'{str(path)!r}; writing it would replace the source. '
                'Choose another output path.')


def save_weights(checkpoint: Mapping, path: Union[str, Path]) -> None:
    """``torch.save`` ``checkpoint`` to ``path`` atomically: a kill while
    writing leaves the old file (or none), never a truncated one.

    Args:
        checkpoint (Mapping): What to save, e.g. ``state_dict`` and
            ``meta``.
        path (str | Path): The target file.
    """
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    atomic_write(path, buffer.getvalue())


def save_config(cfg: Config, path: Union[str, Path]) -> None:
    """Write ``cfg`` as a python config to ``path`` atomically.

    Args:
        cfg (Config): The config.
        path (str | Path): The target ``.py`` file.
    """
    atomic_write(path, cfg.pretty_text.encode('utf-8'))
