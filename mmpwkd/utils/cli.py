"""Command-line plumbing shared by ``tools/train.py`` and ``tools/test.py``.

The flags and their meaning follow mmpretrain's own tools, so a user can swap
one script for the other.
"""
import argparse
import os
import os.path as osp
import traceback
from contextlib import contextmanager
from typing import Iterator

import torch
from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from .dist import init_cpu_distributed
from .setup_env import register_all_modules

__all__ = [
    'add_common_args', 'build_runner', 'empty_datasets_named',
    'existing_file'
]


def existing_file(value: str) -> str:
    """An argparse ``type``: a file that exists, a URL or a package path
    (``mmpretrain::...``), so a mistyped path stops with a usage error that
    names the argument instead of a traceback from deep in a build."""
    if '://' in value or '::' in value or osp.isfile(value):
        return value
    raise argparse.ArgumentTypeError(f'no such file: {value!r}')


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Add the flags every mmpwkd tool shares."""
    parser.add_argument('--work-dir', help='where logs and models go')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_epochs=2 '
        'or key="[a,b]" for lists (no spaces)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--no-pin-memory',
        action='store_true',
        help='disable pin_memory in the dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='disable persistent_workers in every dataloader (training '
        'workers are not persistent unless the config says so, so that a '
        'resumed run draws what the uninterrupted run drew)')
    # torch.distributed.launch passes --local-rank; torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def _set_dataloader_defaults(cfg: Config, args: argparse.Namespace) -> None:
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(field)
        if loader is None:
            continue
        workers = loader.get('num_workers', 0) > 0
        loader.setdefault('pin_memory', torch.cuda.is_available())
        # Training workers start afresh each epoch, seeded as mmengine seeds
        # them (the run's seed, rank and worker id), so a resumed run's
        # workers draw what the uninterrupted run's drew; persistent ones
        # would carry their random states across epochs, which no
        # checkpoint holds.
        loader.setdefault(
            'persistent_workers', workers and field != 'train_dataloader'
            and not args.no_persistent_workers)
        loader.setdefault('collate_fn', dict(type='default_collate'))
        if args.no_pin_memory:
            loader['pin_memory'] = False
        if args.no_persistent_workers or not workers:
            loader['persistent_workers'] = False


def build_runner(cfg: Config, args: argparse.Namespace) -> Runner:
    """Apply the shared flags to ``cfg`` and build the Runner.

    Args:
        cfg (Config): The loaded config, already updated with the flags that
            belong to the calling tool only.
        args (argparse.Namespace): Parsed flags of :func:`add_common_args`.

    Returns:
        Runner: Ready to ``train()`` or ``test()``.
    """
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    register_all_modules(init_default_scope=False)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(cfg.filename))[0]
        cfg.work_dir = osp.join('./work_dirs', name)
    _set_dataloader_defaults(cfg, args)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    init_cpu_distributed(cfg)
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


# The loop a Runner is building, and the config key of its data set.
_LOOP_DATASETS = dict(
    build_train_loop='train_dataloader.dataset',
    build_val_loop='val_dataloader.dataset',
    build_test_loop='test_dataloader.dataset')


@contextmanager
def empty_datasets_named(cfg: Config) -> Iterator[None]:
    """Name the data set when mmengine fails on one without samples.

    mmengine 0.10.7's ``BaseDataset`` serialises its samples with
    ``np.concatenate`` when it is built, so a data set without samples stops
    the run with numpy's ``ValueError: need at least one array to
    concatenate``, naming neither the data nor the config key. Such an error
    is raised again with both.

    Args:
        cfg (Config): The run's config, whose data set is named.
    """
    try:
        yield
    except ValueError as error:
        frames = [frame.f_code.co_name
                  for frame, _ in traceback.walk_tb(error.__traceback__)]
        keys = [_LOOP_DATASETS[name] for name in frames
                if name in _LOOP_DATASETS]
        if '_serialize_data' not in frames or not keys:
            raise
        dataset = cfg.get(keys[0].split('.')[0], {}).get('dataset', {})
        where = ', '.join(f'{field}={dataset[field]!r}'
                          for field in ('type', 'data_root', 'ann_file',
                                        'data_prefix') if field in dataset)
        raise ValueError(
            f'{keys[0]} ({where}) holds no samples: check its data_root, '
            'ann_file, data_prefix and any subset options.') from error
