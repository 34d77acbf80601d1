# KD from one partial teacher: the slimmable teacher's width-0.5
# sub-network for the whole run, everything else as KD (one cosine LR
# cycle). Does a narrower teacher teach as well as the whole one? The
# benchmark sets other widths with custom_hooks.0.stages.0.width=0.25.
_base_ = ['kd_resnet20_resnet8_1xb128_fmnist-student.py']

custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[dict(width=0.5, ratio=1)],
        allow_partial_end=True)
]
