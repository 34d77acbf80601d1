from .hooks import (AtomicCheckpointHook, ChannelsLastHook, DistillWarmupHook,
                    InputChannelsHook, NonFiniteLossHook, PWKDStageHook,
                    RNGStateHook)
from .model_wrappers import DeviceAwareDDP
from .optim_wrappers import MixedPrecisionOptimWrapper
from .schedulers import StageCosineLR

__all__ = [
    'AtomicCheckpointHook', 'ChannelsLastHook', 'DeviceAwareDDP',
    'DistillWarmupHook', 'InputChannelsHook', 'MixedPrecisionOptimWrapper',
    'NonFiniteLossHook', 'PWKDStageHook', 'RNGStateHook', 'StageCosineLR'
]
