"""mmpwkd: Partial to Whole Knowledge Distillation for MMEngine/mmpretrain."""
import warnings

# Importing the backend registers 'atomic_local', the file backend that the
# checkpoint hook of configs/_base_/default_runtime.py writes through.
from .utils.atomic_file import AtomicLocalBackend  # noqa: F401
from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__

# Importing mmpwkd (``custom_imports`` or our tools) makes mmengine checkpoints
# loadable under torch's default ``weights_only=True``.
register_checkpoint_safe_globals()

# mmengine 0.10.7 imports (and reloads) setuptools' pkg_resources to find
# the configs of 'mmpretrain::' bases, and setuptools < 81 (the pin that
# keeps it working) warns twice each time; the pin is deliberate (README,
# Compatibility), so the warning tells our users nothing.
warnings.filterwarnings(
    'ignore',
    message='pkg_resources is deprecated as an API',
    category=UserWarning)

__all__ = ['__version__']
