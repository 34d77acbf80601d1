"""Registries of mmpwkd, children of mmpretrain's.

A child registry falls back to its parent, so mmpwkd configs can use every
mmpretrain and mmengine module by its plain name. The parent's modules are
registered only once its package is imported, so each ``locations`` list
names mmpretrain's package next to ours: the first lookup imports both.
"""
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import Registry
from mmpretrain.registry import BATCH_AUGMENTS as MMPRETRAIN_BATCH_AUGMENTS
from mmpretrain.registry import DATA_SAMPLERS as MMPRETRAIN_DATA_SAMPLERS
from mmpretrain.registry import DATASETS as MMPRETRAIN_DATASETS
from mmpretrain.registry import HOOKS as MMPRETRAIN_HOOKS
from mmpretrain.registry import LOOPS as MMPRETRAIN_LOOPS
from mmpretrain.registry import METRICS as MMPRETRAIN_METRICS
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.registry import \
    OPTIM_WRAPPER_CONSTRUCTORS as MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS
from mmpretrain.registry import OPTIM_WRAPPERS as MMPRETRAIN_OPTIM_WRAPPERS
from mmpretrain.registry import OPTIMIZERS as MMPRETRAIN_OPTIMIZERS
from mmpretrain.registry import \
    PARAM_SCHEDULERS as MMPRETRAIN_PARAM_SCHEDULERS
from mmpretrain.registry import TRANSFORMS as MMPRETRAIN_TRANSFORMS
from mmpretrain.registry import VISBACKENDS as MMPRETRAIN_VISBACKENDS
from mmpretrain.registry import VISUALIZERS as MMPRETRAIN_VISUALIZERS
from mmpretrain.registry import \
    WEIGHT_INITIALIZERS as MMPRETRAIN_WEIGHT_INITIALIZERS

__all__ = [
    'MODELS', 'MODEL_WRAPPERS', 'HOOKS', 'LOOPS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'METRICS', 'PARAM_SCHEDULERS', 'WEIGHT_INITIALIZERS',
    'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
    'VISUALIZERS', 'VISBACKENDS', 'BATCH_AUGMENTS'
]

MODELS = Registry(
    'model',
    parent=MMPRETRAIN_MODELS,
    locations=['mmpwkd.models', 'mmpretrain.models'])
# mmengine's Runner looks wrappers up in the root registry, which resolves a
# scoped name ('mmpwkd.DeviceAwareDDP') only among its direct children.
MODEL_WRAPPERS = Registry(
    'model_wrapper',
    parent=MMENGINE_MODEL_WRAPPERS,
    scope='mmpwkd',
    locations=['mmpwkd.engine'])
HOOKS = Registry(
    'hook',
    parent=MMPRETRAIN_HOOKS,
    locations=['mmpwkd.engine', 'mmpwkd.safety.hooks', 'mmpretrain.engine'])
LOOPS = Registry(
    'loop',
    parent=MMPRETRAIN_LOOPS,
    locations=['mmpwkd.engine', 'mmpretrain.engine'])
DATASETS = Registry(
    'dataset',
    parent=MMPRETRAIN_DATASETS,
    locations=['mmpwkd.datasets', 'mmpretrain.datasets'])
# The registries below hold nothing of ours yet. They exist because a
# registry tree without an 'mmpwkd' node makes mmengine log "Failed to
# search registry with scope "mmpwkd"" for every sampler, optimizer and
# optim wrapper constructor a run builds under our default scope.
DATA_SAMPLERS = Registry(
    'data sampler',
    parent=MMPRETRAIN_DATA_SAMPLERS,
    locations=['mmpwkd.datasets', 'mmpretrain.datasets'])
OPTIMIZERS = Registry(
    'optimizer',
    parent=MMPRETRAIN_OPTIMIZERS,
    locations=['mmpwkd.engine', 'mmpretrain.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMPRETRAIN_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmpwkd.engine', 'mmpretrain.engine'])
# A config that sets visualizer/vis_backends without mmpretrain's scope
# (TensorBoard, W&B) builds them under ours.
VISUALIZERS = Registry(
    'visualizer',
    parent=MMPRETRAIN_VISUALIZERS,
    locations=['mmpwkd.engine', 'mmpretrain.visualization'])
VISBACKENDS = Registry(
    'vis_backend',
    parent=MMPRETRAIN_VISBACKENDS,
    locations=['mmpwkd.engine', 'mmpretrain.visualization'])
# mmpretrain's Mixup / CutMix, when a config adds them to the data
# preprocessor's batch_augments.
BATCH_AUGMENTS = Registry(
    'batch augment',
    parent=MMPRETRAIN_BATCH_AUGMENTS,
    locations=['mmpretrain.models'])
TRANSFORMS = Registry(
    'transform',
    parent=MMPRETRAIN_TRANSFORMS,
    locations=['mmpwkd.datasets', 'mmpretrain.datasets'])
OPTIM_WRAPPERS = Registry(
    'optimizer_wrapper',
    parent=MMPRETRAIN_OPTIM_WRAPPERS,
    locations=['mmpwkd.engine', 'mmpretrain.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler',
    parent=MMPRETRAIN_PARAM_SCHEDULERS,
    locations=['mmpwkd.engine', 'mmpretrain.engine'])
METRICS = Registry(
    'metric',
    parent=MMPRETRAIN_METRICS,
    locations=['mmpwkd.evaluation', 'mmpretrain.evaluation'])
# Needed only so that init_cfg lookups under the mmpwkd scope find
# mmengine's initializers without a warning.
WEIGHT_INITIALIZERS = Registry(
    'weight initializer',
    parent=MMPRETRAIN_WEIGHT_INITIALIZERS,
    locations=['mmpretrain.models'])
