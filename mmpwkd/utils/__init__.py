from .atomic_file import AtomicLocalBackend, atomic_write
from .checkpoint import register_checkpoint_safe_globals, safe_getattr
from .setup_env import register_all_modules

__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'register_all_modules',
    'register_checkpoint_safe_globals', 'safe_getattr'
]
