# Ablation: the stage order reversed, the whole teacher first and its
# narrowest sub-network last.
_base_ = ['kd_resnet20_resnet8.py']

stages = [dict(width=w, epochs=2) for w in (1.0, 0.75, 0.5, 0.25)]
custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=stages,
        any_order=True,
        allow_partial_end=True)
]
param_scheduler = dict(
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages))
