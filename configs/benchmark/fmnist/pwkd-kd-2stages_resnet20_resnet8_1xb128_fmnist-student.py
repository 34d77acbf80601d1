# PWKD + KD in two equal stages: the half-width teacher, then the whole.
_base_ = ['pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py']

custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[dict(width=w, ratio=1) for w in (0.5, 1.0)])
]
