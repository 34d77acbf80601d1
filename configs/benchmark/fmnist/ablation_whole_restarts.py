# Ablation: the whole teacher in all four stages, the LR still restarting
# at each: separates the effect of the teacher's widths from the restarts.
_base_ = ['kd_resnet20_resnet8.py']

stages = [dict(width=1.0, epochs=2) for _ in range(4)]
custom_hooks = [dict(type='PWKDStageHook', stages=stages, any_order=True)]
param_scheduler = dict(
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages))
