from .hooks import ChannelsLastHook, DistillWarmupHook, PWKDStageHook
from .model_wrappers import DeviceAwareDDP
from .optim_wrappers import MixedPrecisionOptimWrapper
from .schedulers import StageCosineLR

__all__ = [
    'ChannelsLastHook', 'DeviceAwareDDP', 'DistillWarmupHook',
    'MixedPrecisionOptimWrapper', 'PWKDStageHook', 'StageCosineLR'
]
