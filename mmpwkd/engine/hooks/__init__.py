from .channels_last_hook import ChannelsLastHook
from .distill_warmup_hook import DistillWarmupHook
from .pwkd_stage_hook import PWKDStageHook

__all__ = ['ChannelsLastHook', 'DistillWarmupHook', 'PWKDStageHook']
