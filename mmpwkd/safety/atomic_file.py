"""Crash-safe file writes: a file is either its old or its new content.

mmengine 0.10.7's ``LocalBackend.put`` opens the final path and writes into
it, so a process killed while saving a checkpoint leaves a truncated file
under the checkpoint's name. Here every write goes to a hidden temporary file
in the same folder, is flushed and fsynced, and is then renamed over the
target with ``os.replace``, an atomic rename on POSIX file systems.
"""
import os
import os.path as osp
import secrets
from pathlib import Path
from typing import Union

from mmengine.fileio import LocalBackend, register_backend

__all__ = ['AtomicLocalBackend', 'atomic_write']

# A killed write leaves a hidden file with this suffix, never one ending in
# ``.pth``, so no tool takes it for a checkpoint.
PARTIAL_SUFFIX = '.part'


def _fsync_folder(folder: str) -> None:
    """Make a rename in ``folder`` survive a power loss, not only a kill
    (POSIX only: other systems cannot open a folder)."""
    if os.name != 'posix':
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Union[str, Path], data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file intact.

    Args:
        path (str | Path): The target file; its folder is created if needed.
        data (bytes): The complete new content.
    """
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    partial = osp.join(folder,
                       f'.{name}.{secrets.token_hex(4)}{PARTIAL_SUFFIX}')
    try:
        with open(partial, 'xb') as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        if osp.exists(partial):
            os.remove(partial)
        raise
    _fsync_folder(folder)


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """The local file backend with atomic ``put`` and ``put_text``.

    Select it with ``backend_args=dict(backend='atomic_local')``, e.g. in
    ``default_hooks.checkpoint``. It claims no path prefix, so plain local
    paths elsewhere keep mmengine's ``LocalBackend``.
    """

    def put(self, obj: bytes, filepath: Union[str, Path]) -> None:
        """Write bytes to ``filepath`` atomically.

        Args:
            obj (bytes): Data to be written.
            filepath (str | Path): Path to write data.
        """
        atomic_write(filepath, obj)

    def put_text(self,
                 obj: str,
                 filepath: Union[str, Path],
                 encoding: str = 'utf-8') -> None:
        """Write text to ``filepath`` atomically.

        Args:
            obj (str): Text to be written.
            filepath (str | Path): Path to write text.
            encoding (str): The encoding format. Defaults to 'utf-8'.
        """
        atomic_write(filepath, obj.encode(encoding))
