from .hooks import (AtomicCheckpointHook, ChannelsLastHook, InputChannelsHook,
                    NonFiniteLossHook, PWKDStageHook, RNGStateHook)
from .model_wrappers import DeviceAwareDDP

__all__ = [
    'AtomicCheckpointHook', 'ChannelsLastHook', 'DeviceAwareDDP',
    'InputChannelsHook', 'NonFiniteLossHook', 'PWKDStageHook', 'RNGStateHook'
]
