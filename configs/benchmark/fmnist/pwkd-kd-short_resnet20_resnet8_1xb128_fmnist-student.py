# PWKD + KD with a short curriculum: 10% of the run on each of the three
# narrow sub-networks, 70% on the whole teacher.
_base_ = ['pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py']

custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[
            dict(width=w, ratio=r)
            for w, r in zip((0.25, 0.5, 0.75, 1.0), (1, 1, 1, 7))
        ])
]
