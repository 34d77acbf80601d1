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
import copy
import io
import os.path as osp
from pathlib import Path
from typing import Any, List, Mapping, Union

import torch
from mmengine.config import Config

from mmpwkd.safety.atomic_file import atomic_write

__all__ = [
    'check_not_input', 'exported_config', 'plain_evaluator', 'plain_schedule',
    'save_config', 'save_weights', 'scope_model_types'
]

EvaluatorCfg = Union[dict, List[dict], None]
SCOPE = 'mmpwkd'

# What a classifier config holds besides its model: data, runtime,
# optimizer and loops (mmpretrain's _base_ files). Everything else of a
# source config (work_dir, variables of its own) stays behind.
KEPT_KEYS = ('default_scope', 'default_hooks',
             'custom_hooks', 'env_cfg', 'vis_backends', 'visualizer',
             'log_level', 'log_processor', 'randomness', 'model_wrapper_cfg',
             'data_preprocessor', 'dataset_type', 'data_root',
             'train_pipeline', 'test_pipeline', 'train_dataloader',
             'val_dataloader', 'test_dataloader', 'val_evaluator',
             'test_evaluator', 'optim_wrapper', 'train_cfg', 'val_cfg',
             'test_cfg', 'auto_scale_lr')
# Hooks that drive a distiller or a slimmable teacher's stages.
DISTILL_HOOKS = ('PWKDStageHook', 'DistillWarmupHook')
# Schedulers whose restarts follow the PWKD stages.
STAGE_SCHEDULERS = ('StageCosineLR', 'CosineRestartLR')


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


def _type_name(cfg: Any) -> str:
    kind = cfg.get('type') if isinstance(cfg, Mapping) else None
    return kind.split('.')[-1] if isinstance(kind, str) else ''


def _plain_hooks(hooks: Any) -> Any:
    """``default_hooks`` / ``custom_hooks`` without the distillation
    hooks, which need a distiller."""
    if isinstance(hooks, Mapping):
        return {
            name: hook
            for name, hook in hooks.items()
            if _type_name(hook) not in DISTILL_HOOKS
        }
    return [hook for hook in hooks if _type_name(hook) not in DISTILL_HOOKS]


def plain_schedule(cfg: Config) -> Union[dict, List[dict]]:
    """The source's ``param_scheduler`` if it restarts nowhere, else a
    cosine decay over the train loop.

    A PWKD schedule restarts the LR at the stage starts of the distillation
    run; a fine-tune of the exported model has no stages, and a run of
    another length would not fit them.

    Args:
        cfg (Config): The source config.

    Returns:
        dict | list[dict]: The exported config's ``param_scheduler``.
    """
    schedulers = cfg.get('param_scheduler')
    listed = list(schedulers) if isinstance(schedulers,
                                            (list, tuple)) else [schedulers]
    if schedulers is not None and not any(
            _type_name(item) in STAGE_SCHEDULERS for item in listed):
        return schedulers
    train_cfg = cfg.get('train_cfg') or {}
    by_epoch = train_cfg.get('by_epoch', 'max_epochs' in train_cfg)
    length = train_cfg.get('max_epochs' if by_epoch else 'max_iters', 100)
    return dict(
        type='CosineAnnealingLR',
        T_max=length,
        by_epoch=by_epoch,
        convert_to_iter_based=by_epoch)


def exported_config(cfg: Config, model: dict) -> Config:
    """The config of an exported classifier ``model``, made from ``cfg``.

    A clean mmpretrain classifier config: the model with our types scoped
    (:func:`scope_model_types`, the top-level ``data_preprocessor`` too,
    which mmpretrain's ``get_model`` moves into the model), the source's
    data, runtime and optimizer, evaluators a classifier can feed
    (:func:`plain_evaluator`) and a plain schedule (:func:`plain_schedule`).
    No ``work_dir`` (a run of the export writes into its own, never into
    the distillation run's), no distillation hooks, no ``load_from`` and no
    resume; ``custom_imports`` names ``mmpwkd`` only; other keys (variables
    of the source) are dropped.

    Args:
        cfg (Config): The source config; not changed.
        model (dict): The exported classifier's model config.

    Returns:
        Config: The exported config.
    """
    out = {key: copy.deepcopy(cfg[key]) for key in KEPT_KEYS if key in cfg}
    out['model'] = scope_model_types(model)
    if out.get('data_preprocessor') is not None:
        out['data_preprocessor'] = scope_model_types(out['data_preprocessor'])
    for key in ('val_evaluator', 'test_evaluator'):
        if key in out:
            out[key] = plain_evaluator(out[key])
    for key in ('default_hooks', 'custom_hooks'):
        if key in out:
            out[key] = _plain_hooks(out[key])
    out['param_scheduler'] = plain_schedule(cfg)
    # Our modules by name, nothing else: a source config read from a
    # checkpoint's meta must not choose what a later run imports.
    out.update(
        custom_imports=dict(imports=['mmpwkd'], allow_failed_imports=False),
        load_from=None,
        resume=False)
    return Config(out)


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
