from .export import (check_not_input, exported_config, plain_evaluator,
                     save_config, save_weights, scope_model_types)
from .setup_env import register_all_modules

__all__ = [
    'check_not_input', 'exported_config', 'plain_evaluator',
    'register_all_modules', 'save_config', 'save_weights',
    'scope_model_types'
]
