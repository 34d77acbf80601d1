# PWKD + KD: four 2-epoch stages from the teacher's narrowest sub-network
# to the whole teacher, the LR restarting at each stage.
_base_ = ['kd_resnet20_resnet8.py']

stages = [dict(width=w, epochs=2) for w in (0.25, 0.5, 0.75, 1.0)]
custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
param_scheduler = dict(
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages))
