# PWKD + KD without stage boundaries: the teacher width is drawn at each
# iteration, moving from 0.25 to 1.0 over the run (PWKDStageHook's gradual
# mode), under one cosine LR cycle.
_base_ = ['pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py']

custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[dict(width=w, ratio=1) for w in (0.25, 0.5, 0.75, 1.0)],
        gradual=True)
]
param_scheduler = dict(restart=False)
