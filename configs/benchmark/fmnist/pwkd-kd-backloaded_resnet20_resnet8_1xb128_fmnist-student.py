# PWKD + KD with back-loaded stages (1:2:4:8): most of the run on the
# wider sub-networks.
_base_ = ['pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py']

custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[
            dict(width=w, ratio=r)
            for w, r in zip((0.25, 0.5, 0.75, 1.0), (1, 2, 4, 8))
        ])
]
