# KD, resnet32x4 -> resnet8x4 on CIFAR-100, from the plain teacher.
_base_ = ['_base_/kd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARResNet', arch='resnet8x4'),
        head=dict(in_channels=256)),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet32x4'),
        head=dict(in_channels=256)),
    teacher_ckpt='work_dirs/cifar100/resnet32x4_1xb64_cifar100/epoch_240.pth')
