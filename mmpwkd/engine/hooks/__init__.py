from .channels_last_hook import ChannelsLastHook
from .distill_warmup_hook import DistillWarmupHook
from .precise_bn_eval_hook import PreciseBNEvalHook
from .pwkd_stage_hook import PWKDStageHook

__all__ = [
    'ChannelsLastHook', 'DistillWarmupHook', 'PreciseBNEvalHook',
    'PWKDStageHook'
]
