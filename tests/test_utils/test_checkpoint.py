"""The checkpoint allowlist: mmengine checkpoints load, nothing else runs."""
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import mmpwkd  # noqa: F401  (registers the allowlist)
from mmpwkd.safety import safe_getattr


def _message_hub_checkpoint() -> dict:
    hub = MessageHub.get_instance('test_checkpoint')
    for value in (0.5, np.float64(0.25), np.float32(1.5)):
        hub.update_scalar('train/loss', value)
    hub.update_info('iter', np.int64(7))
    return dict(
        meta=dict(epoch=1, iter=7, seed=np.int64(3)),
        message_hub=hub.state_dict(),
        state_dict=dict(w=torch.ones(2)))


def _save(obj, path: Path) -> Path:
    torch.save(obj, path)
    return path


def test_mmengine_checkpoint_loads_with_weights_only(tmp_path):
    path = _save(_message_hub_checkpoint(), tmp_path / 'ckpt.pth')
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx((0.5 + 0.25 + 1.5) / 3)
    assert buffer.current() == pytest.approx(1.5)
    assert loaded['meta']['seed'] == 3


def _rewrite_pickle(path: Path, old: bytes, new: bytes) -> Path:
    """Replace a module name inside a torch zip checkpoint's pickle."""
    out = path.with_name('rewritten.pth')
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, 'w') as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith('data.pkl'):
                assert old in data
                data = data.replace(old, new)
            dst.writestr(item, data)
    return out


def test_numpy1_module_names_load(tmp_path):
    """Checkpoints written under numpy 1.x name ``numpy.core``."""
    path = _save(_message_hub_checkpoint(), tmp_path / 'ckpt.pth')
    old = _rewrite_pickle(path, b'numpy._core.multiarray',
                          b'numpy.core.multiarray')
    loaded = torch.load(old, weights_only=True)
    assert loaded['meta']['seed'] == 3


class _SystemCall:

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


class _GetAttr:

    def __init__(self, obj, name: str) -> None:
        self.obj, self.name = obj, name

    def __reduce__(self):
        return getattr, (self.obj, self.name)


def test_checkpoint_calling_os_system_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    path = _save(
        dict(state_dict={}, meta=_SystemCall(f'touch {marker}')),
        tmp_path / 'evil.pth')
    with pytest.raises(pickle.UnpicklingError, match='system'):
        torch.load(path, weights_only=True)
    assert not marker.exists()


@pytest.mark.parametrize('name', ['__init__', '__class__', 'update'])
def test_getattr_beyond_history_buffer_statistics_is_refused(tmp_path, name):
    path = _save(dict(meta=_GetAttr(HistoryBuffer, name)), tmp_path / 'g.pth')
    with pytest.raises(pickle.UnpicklingError, match='Refused getattr'):
        torch.load(path, weights_only=True)


def test_getattr_on_other_objects_is_refused(tmp_path):
    path = _save(dict(meta=_GetAttr(np.ndarray, 'mean')), tmp_path / 'g.pth')
    with pytest.raises(pickle.UnpicklingError, match='Refused getattr'):
        torch.load(path, weights_only=True)


def test_safe_getattr_allows_exactly_the_statistics():
    for name in ('min', 'max', 'current', 'mean'):
        assert safe_getattr(HistoryBuffer, name) is getattr(
            HistoryBuffer, name)
    with pytest.raises(pickle.UnpicklingError):
        safe_getattr(HistoryBuffer, 'statistics')
