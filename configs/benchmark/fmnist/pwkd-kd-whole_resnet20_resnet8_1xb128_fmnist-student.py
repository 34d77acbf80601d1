# Control: the whole teacher in all four stages, with PWKD's LR schedule.
# Against PWKD it isolates what the partial teachers do; against KD, what
# the LR schedule does.
_base_ = ['pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py']

custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[dict(width=1.0, ratio=1)] * 4,
        any_order=True)
]
