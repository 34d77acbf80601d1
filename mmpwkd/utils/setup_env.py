"""Registration of mmpwkd modules into the registries."""
import datetime
import warnings

from mmengine import DefaultScope


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every mmpwkd module so that it is registered.

    Args:
        init_default_scope (bool): Whether to make ``mmpwkd`` the current
            default scope, so that modules are looked up in mmpwkd's
            registries first and then in mmpretrain's and mmengine's.
            Defaults to True.
    """
    import mmpwkd.datasets  # noqa: F401
    import mmpwkd.engine  # noqa: F401
    import mmpwkd.evaluation  # noqa: F401
    import mmpwkd.models  # noqa: F401
    import mmpwkd.safety.hooks  # noqa: F401

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance('mmpwkd', scope_name='mmpwkd')
    elif current.scope_name != 'mmpwkd':
        warnings.warn(f'The current default scope "{current.scope_name}" '
                      'is not "mmpwkd"; a new default scope "mmpwkd" is '
                      'created for the modules of mmpwkd.',
                      stacklevel=2)
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S%f')
        DefaultScope.get_instance(f'mmpwkd-{stamp}', scope_name='mmpwkd')
