"""mmpwkd: Partial to Whole Knowledge Distillation for MMEngine/mmpretrain."""
# Importing the backend registers 'atomic_local', the file backend that the
# checkpoint hook of configs/_base_/default_runtime.py writes through.
from .utils.atomic_file import AtomicLocalBackend  # noqa: F401
from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__

# Importing mmpwkd (``custom_imports`` or our tools) makes mmengine checkpoints
# loadable under torch's default ``weights_only=True``.
register_checkpoint_safe_globals()

__all__ = ['__version__']
