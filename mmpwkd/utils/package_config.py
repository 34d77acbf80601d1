"""Reading a config by path or by ``package::path``, never installing.

mmengine's ``get_config('pkg::path')`` runs ``pip install pkg`` when the
package is missing: ``'mmcls::...'``, the spelling of MMRazor's configs,
would put mmcls 0.x next to mmpretrain in the user's environment. We refuse
a package that is not installed, with the same test mmengine uses before it
installs, so that its install step never runs.
"""
from mmengine.config import Config
from mmengine.config.utils import MODULE2PACKAGE
from mmengine.hub import get_config
from mmengine.utils import is_installed

__all__ = ['check_config_package', 'read_config']

# Packages whose configs live on, renamed, in an installed one.
SUCCESSORS = {'mmcls': 'mmpretrain', 'mmselfsup': 'mmpretrain'}


def check_config_package(path: str, key: str) -> None:
    """Refuse ``path='pkg::...'`` unless ``pkg`` is installed.

    Args:
        path (str): A config path, with or without a ``pkg::`` prefix.
        key (str): The config key that gave ``path``, named in errors.

    Raises:
        ValueError: If the prefix names no OpenMMLab package mmengine
            knows, or a package that is not installed (for ``mmcls::``,
            the message gives the ``mmpretrain::`` path).
    """
    if '::' not in path:
        return
    scope, _, rest = path.partition('::')
    if scope not in MODULE2PACKAGE:
        raise ValueError(
            f'{key}={path!r}: {scope!r} is not a package whose configs '
            f'mmengine can read; expected one of {sorted(MODULE2PACKAGE)}')
    package = MODULE2PACKAGE[scope]
    if is_installed(package):
        return
    hint = f'install {package} yourself if you mean it'
    if scope in SUCCESSORS:
        hint = (f'{scope} is superseded by {SUCCESSORS[scope]}, which holds '
                f"its configs: write '{SUCCESSORS[scope]}::{rest}'")
    raise ValueError(f'{key}={path!r}: the package {package!r} is not '
                     f'installed, and mmpwkd installs nothing; {hint}')


def read_config(path: str, key: str) -> Config:
    """The config at ``path``, a file or ``'pkg::relative/path.py'`` of an
    installed package.

    Args:
        path (str): The config path.
        key (str): The config key that gave ``path``, named in errors.

    Returns:
        Config: The config.

    Raises:
        ValueError: See :func:`check_config_package`; also if a
            ``_base_`` of the file names a package that is not installed.
        FileNotFoundError: If there is no such file.
    """
    if '::' not in path:
        try:
            return Config.fromfile(path)
        except ModuleNotFoundError as error:  # a 'pkg::' _base_ of it
            raise ValueError(
                f'{key}={path!r} cannot be read: {error}; mmpwkd installs '
                "nothing (for an 'mmcls::' _base_, write 'mmpretrain::')"
            ) from error
    check_config_package(path, key)
    # get_config finds a package's configs through its metafiles; the
    # check above makes its install step a no-op.
    return get_config(path)
