"""mmpwkd: Partial to Whole Knowledge Distillation for MMEngine/mmpretrain."""
from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__

# Importing mmpwkd (``custom_imports`` or our tools) makes mmengine checkpoints
# loadable under torch's default ``weights_only=True``.
register_checkpoint_safe_globals()

__all__ = ['__version__']
