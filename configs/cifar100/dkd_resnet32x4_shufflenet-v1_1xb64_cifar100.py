# DKD, resnet32x4 -> ShuffleNetV1 on CIFAR-100, from the plain teacher.
_base_ = ['_base_/dkd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARShuffleNetV1'),
        head=dict(in_channels=960)),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet32x4'),
        head=dict(in_channels=256)),
    teacher_ckpt='work_dirs/cifar100/resnet32x4_1xb64_cifar100/epoch_240.pth')

# The light-weight students train at lr 0.01, as in RepDistiller
# (train_student.py) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
