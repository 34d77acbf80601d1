from .ddp import DeviceAwareDDP

__all__ = ['DeviceAwareDDP']
