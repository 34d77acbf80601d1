"""The run-safety layer: what keeps a training run from losing work or
training on silently wrong inputs, apart from the distillation method.

Switched on in one place, ``configs/_base_/safety.py`` (inherited by every
config through ``configs/_base_/default_runtime.py``); each hook can be
turned off or configured there by its key in ``default_hooks``. The hooks
live in :mod:`mmpwkd.safety.hooks`; this package itself stays light, since
``import mmpwkd`` (which every tool does first) switches on safe loading.

- :class:`AtomicCheckpointHook` with :class:`AtomicLocalBackend`: a kill at
  any moment leaves a resumable work dir; one run per work dir
  (:class:`WorkDirLock`); a fresh run never overwrites another's
  checkpoints.
- :class:`RNGStateHook`: random states in checkpoints, so a resume continues
  exactly, with or without dataloader worker processes.
- :class:`RunFingerprintHook`: a resume continues its own run only.
- :class:`NonFiniteLossHook`: a NaN/Inf loss stops before the update.
- :class:`InputChannelsHook`, :class:`NumClassesHook`: images and labels
  that do not fit the model stop the run before its first update.
- :func:`register_safe_loading` (called by ``import mmpwkd``): every
  checkpoint loader of mmengine loads with ``weights_only=True``.
"""
from .atomic_file import AtomicLocalBackend, atomic_write
from .safe_loading import register_safe_loading, safe_getattr
from .work_dir_lock import WorkDirLock

__all__ = [
    'AtomicLocalBackend', 'WorkDirLock', 'atomic_write',
    'register_safe_loading', 'safe_getattr'
]
