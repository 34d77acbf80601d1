from .atomic_checkpoint_hook import AtomicCheckpointHook
from .input_channels_hook import InputChannelsHook
from .non_finite_loss_hook import NonFiniteLossHook
from .num_classes_hook import NumClassesHook
from .rng_state_hook import RNGStateHook
from .run_fingerprint_hook import RunFingerprintHook

__all__ = [
    'AtomicCheckpointHook', 'InputChannelsHook', 'NonFiniteLossHook',
    'NumClassesHook', 'RNGStateHook', 'RunFingerprintHook'
]
