from .hooks import PWKDStageHook, RNGStateHook
from .model_wrappers import DeviceAwareDDP

__all__ = ['DeviceAwareDDP', 'PWKDStageHook', 'RNGStateHook']
