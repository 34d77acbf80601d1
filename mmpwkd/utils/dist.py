"""Distributed set-up that also works on machines without a GPU.

mmengine 0.10.7 calls ``torch.cuda.set_device`` whenever it initialises the
``pytorch`` launcher, so a CPU-only ``torchrun`` fails before training starts.
When CUDA is unavailable we initialise a gloo process group ourselves before
the Runner is built; the Runner then finds it initialised and skips its own
set-up. With CUDA nothing changes.
"""
import gc
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

__all__ = ['init_cpu_distributed', 'shutdown_distributed']


def init_cpu_distributed(cfg: Config) -> bool:
    """Start a gloo process group for a CPU-only ``pytorch`` launch.

    Args:
        cfg (Config): The full config; ``cfg.launcher`` must be set.

    Returns:
        bool: True if this function initialised the process group.

    Raises:
        RuntimeError: If a CPU-only run asks for a launcher other than
            ``pytorch`` or for a backend other than gloo.
    """
    launcher = cfg.get('launcher', 'none')
    if (launcher == 'none' or torch.cuda.is_available()
            or torch_dist.is_initialized()):
        return False
    if launcher != 'pytorch':
        raise RuntimeError(
            f'launcher={launcher!r} needs a GPU; on a CPU-only machine use '
            "launcher='pytorch' (tools/dist_train.sh).")
    env_cfg = cfg.get('env_cfg') or {}
    dist_cfg = dict(env_cfg.get('dist_cfg') or {})
    backend = dist_cfg.get('backend', 'nccl')
    if backend not in ('nccl', 'gloo'):
        raise RuntimeError(
            f'env_cfg.dist_cfg.backend={backend!r} cannot run without a GPU; '
            "expected 'gloo' (or 'nccl', which is replaced by gloo on CPU).")
    # Keep the config truthful: the run uses gloo, whatever it asked for.
    cfg.env_cfg = dict(env_cfg, dist_cfg=dict(dist_cfg, backend='gloo'))
    kwargs = {k: v for k, v in dist_cfg.items() if k != 'backend'}
    if 'timeout' in kwargs:
        from datetime import timedelta
        kwargs['timeout'] = timedelta(seconds=kwargs['timeout'])
    torch_dist.init_process_group(
        backend='gloo',
        rank=int(os.environ['RANK']),
        world_size=int(os.environ['WORLD_SIZE']),
        **kwargs)
    return True


def shutdown_distributed() -> None:
    """Destroy the process group, if any, so that processes exit cleanly.

    A barrier first: a rank that tears its gloo connections down while
    another is still in a collective makes the other abort at exit
    ("terminate called without an active exception"). Garbage first too:
    a finished runner sits in reference cycles, and its DDP reducer keeps
    the gloo process group alive past ``destroy_process_group``, until
    the interpreter tears it down with its worker threads still running,
    which aborts the same way.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        gc.collect()
        torch_dist.barrier()
        torch_dist.destroy_process_group()
