"""mmpwkd: Partial to Whole Knowledge Distillation for MMEngine/mmpretrain."""
import warnings

# Importing mmpwkd (``custom_imports`` or our tools) switches on safe
# loading, under torch's default ``weights_only=True`` and even without it,
# and registers the 'atomic_local' file backend and the hooks that
# configs/_base_/safety.py names.
from .safety import register_safe_loading
from .version import __version__

register_safe_loading()

# mmengine 0.10.7 imports (and reloads) setuptools' pkg_resources to find
# the configs of 'mmpretrain::' bases, and setuptools < 81 (the pin that
# keeps it working) warns twice each time; the pin is deliberate (README,
# Compatibility), so the warning tells our users nothing.
warnings.filterwarnings(
    'ignore',
    message='pkg_resources is deprecated as an API',
    category=UserWarning)

__all__ = ['__version__']
