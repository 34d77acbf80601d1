# Ablation: two 4-epoch stages (teacher widths 0.5, then 1.0).
_base_ = ['kd_resnet20_resnet8.py']

stages = [dict(width=w, epochs=4) for w in (0.5, 1.0)]
custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
param_scheduler = dict(
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages))
