# PWKD + DKD: the stages of pwkd_kd_resnet20_resnet8.py with DKD's loss.
_base_ = ['dkd_resnet20_resnet8.py']

stages = [dict(width=w, epochs=2) for w in (0.25, 0.5, 0.75, 1.0)]
custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
param_scheduler = dict(
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages))
