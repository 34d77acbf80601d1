# mmpwkd's run-safety layer (mmpwkd/safety/), switched on here and nowhere
# else, on top of mmpretrain's runtime; default_runtime.py inherits it, so
# every config has it. Each is a default hook, so custom_hooks leave it on;
# configure one by its key (default_hooks.run_fingerprint.allow_other_run)
# or turn it off with its key set to None.
_base_ = 'mmpretrain::_base_/default_runtime.py'

default_hooks = dict(
    # Random states go into checkpoints: a resume continues exactly.
    rng_state=dict(type='RNGStateHook'),
    # A resume refuses a checkpoint of another config or model.
    run_fingerprint=dict(type='RunFingerprintHook'),
    # A NaN/Inf loss stops training before it reaches the weights.
    non_finite_loss=dict(type='NonFiniteLossHook'),
    # Images with other channels than the models take stop the first batch.
    input_channels=dict(type='InputChannelsHook'),
    # Data with more classes than a head, or none, stops before training.
    num_classes=dict(type='NumClassesHook'),
    # Atomic writes, old checkpoints deleted last, one run per work dir, a
    # fresh run never overwrites another's checkpoints.
    checkpoint=dict(
        type='mmpwkd.AtomicCheckpointHook',
        backend_args=dict(backend='atomic_local')))
