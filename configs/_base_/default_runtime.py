# Runtime shared by every mmpwkd config: mmpretrain's with our safety layer
# (./safety.py), plus our scope, our modules imported by name (so
# mmpretrain's own tools/train.py runs these configs too) and a DDP wrapper
# that also runs on CPU-only machines.
_base_ = './safety.py'

default_scope = 'mmpwkd'
custom_imports = dict(imports=['mmpwkd'], allow_failed_imports=False)

# broadcast_buffers=True: every rank uses rank 0's BN statistics, which are
# the ones rank 0 saves, so a resumed DDP run continues the same training.
model_wrapper_cfg = dict(type='mmpwkd.DeviceAwareDDP', broadcast_buffers=True)
