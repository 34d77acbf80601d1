# PWKD + KD, resnet32x4 -> ShuffleNetV1 on CIFAR-100, from the slimmable
# teacher, widths 0.25 to 1.0.
_base_ = ['_base_/pwkd_kd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARShuffleNetV1'),
        head=dict(in_channels=960)),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet32x4'),
        head=dict(in_channels=256)),
    teacher_ckpt='work_dirs/cifar100/slimmable_resnet32x4_1xb64_cifar100/'
    'epoch_60.pth')

# The light-weight students train at lr 0.01, as in RepDistiller
# (train_student.py) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
