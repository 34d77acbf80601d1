"""mmpwkd: Partial to Whole Knowledge Distillation for MMEngine/mmpretrain."""
# Importing mmpwkd (``custom_imports`` or our tools) switches on safe
# loading, under torch's default ``weights_only=True`` and even without it,
# and registers the 'atomic_local' file backend and the hooks that
# configs/_base_/safety.py names.
from .safety import register_safe_loading
from .version import __version__

register_safe_loading()

__all__ = ['__version__']
