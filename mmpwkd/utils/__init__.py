from .atomic_file import AtomicLocalBackend, atomic_write
from .export import (check_not_input, exported_config, plain_evaluator,
                     save_config, save_weights, scope_model_types)
from .checkpoint import register_checkpoint_safe_globals, safe_getattr
from .setup_env import register_all_modules

__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'check_not_input', 'exported_config',
    'plain_evaluator', 'register_all_modules',
    'register_checkpoint_safe_globals', 'safe_getattr', 'save_config',
    'save_weights', 'scope_model_types'
]
