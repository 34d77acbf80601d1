# KD, VGG13 -> VGG8 on CIFAR-100, from the plain teacher.
_base_ = ['_base_/kd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARVGG', arch='vgg8'),
        head=dict(in_channels=512)),
    teacher=dict(
        backbone=dict(type='CIFARVGG', arch='vgg13'),
        head=dict(in_channels=512)),
    teacher_ckpt='work_dirs/cifar100/vgg13_1xb64_cifar100/epoch_240.pth')
