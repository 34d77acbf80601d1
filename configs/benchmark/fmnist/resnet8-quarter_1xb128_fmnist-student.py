# A smaller student for the capacity-gap study: resnet8 at a quarter of
# its width (stem 4, stages 4/8/16 channels; 5.1 k parameters against
# 78 k), 53x smaller than the resnet20 teacher and 166x smaller than the
# resnet56 one. Everything else as the resnet8 student alone.
_base_ = ['resnet8_1xb128_fmnist-student.py']

model = dict(
    backbone=dict(
        arch=dict(
            _delete_=True, depth=8, stem_channels=4,
            stage_channels=(4, 8, 16))),
    head=dict(in_channels=16))
