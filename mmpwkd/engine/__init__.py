from .hooks import RNGStateHook
from .model_wrappers import DeviceAwareDDP

__all__ = ['DeviceAwareDDP', 'RNGStateHook']
