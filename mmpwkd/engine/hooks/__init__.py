from .atomic_checkpoint_hook import AtomicCheckpointHook
from .channels_last_hook import ChannelsLastHook
from .distill_warmup_hook import DistillWarmupHook
from .input_channels_hook import InputChannelsHook
from .non_finite_loss_hook import NonFiniteLossHook
from .num_classes_hook import NumClassesHook
from .precise_bn_eval_hook import PreciseBNEvalHook
from .pwkd_stage_hook import PWKDStageHook
from .rng_state_hook import RNGStateHook
from .run_fingerprint_hook import RunFingerprintHook

__all__ = [
    'AtomicCheckpointHook', 'ChannelsLastHook', 'DistillWarmupHook',
    'InputChannelsHook', 'NonFiniteLossHook', 'NumClassesHook',
    'PreciseBNEvalHook', 'PWKDStageHook', 'RNGStateHook', 'RunFingerprintHook'
]
