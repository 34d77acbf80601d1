# Runtime shared by every mmpwkd config: mmpretrain's, plus our scope, our
# modules imported by name (so mmpretrain's own tools/train.py runs these
# configs too) and a DDP wrapper that also runs on CPU-only machines.
_base_ = 'mmpretrain::_base_/default_runtime.py'

default_scope = 'mmpwkd'
custom_imports = dict(imports=['mmpwkd'], allow_failed_imports=False)

# broadcast_buffers=True: every rank uses rank 0's BN statistics, which are
# the ones rank 0 saves, so a resumed DDP run continues the same training.
model_wrapper_cfg = dict(type='mmpwkd.DeviceAwareDDP', broadcast_buffers=True)

# Random states go into checkpoints, so a resumed run continues exactly.
# A default hook, so that configs can set custom_hooks without losing it.
default_hooks = dict(
    rng_state=dict(type='RNGStateHook'),
    # A resume refuses a checkpoint of another config or model.
    run_fingerprint=dict(type='RunFingerprintHook'),
    # Fail fast: a NaN/Inf loss stops training before it reaches the
    # weights; images whose channels the models do not take stop it at the
    # first batch, data with more classes than a head before it.
    non_finite_loss=dict(type='NonFiniteLossHook'),
    input_channels=dict(type='InputChannelsHook'),
    num_classes=dict(type='NumClassesHook'),
    # A kill at any moment leaves the work dir resumable: a checkpoint is
    # written to a temporary file and renamed into place, last_checkpoint
    # is replaced atomically, and old checkpoints are deleted last.
    checkpoint=dict(
        type='mmpwkd.AtomicCheckpointHook',
        backend_args=dict(backend='atomic_local')))
