# Route-constrained KD with the quarter-width resnet8 student
# (resnet8-quarter_1xb128_fmnist-student.py); everything else as
# pwkd-route-kd_resnet20_resnet8_1xb128_fmnist-student.py.
_base_ = ['pwkd-route-kd_resnet20_resnet8_1xb128_fmnist-student.py']

model = dict(
    student=dict(
        backbone=dict(
            arch=dict(
                _delete_=True,
                depth=8,
                stem_channels=4,
                stage_channels=(4, 8, 16))),
        head=dict(in_channels=16)))
