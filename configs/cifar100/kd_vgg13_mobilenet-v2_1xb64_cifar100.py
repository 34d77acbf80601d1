# KD, VGG13 -> MobileNetV2 on CIFAR-100, from the plain teacher.
_base_ = ['_base_/kd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARMobileNetV2', widen_factor=0.5),
        head=dict(in_channels=1280)),
    teacher=dict(
        backbone=dict(type='CIFARVGG', arch='vgg13'),
        head=dict(in_channels=512)),
    teacher_ckpt='work_dirs/cifar100/vgg13_1xb64_cifar100/epoch_240.pth')

# The light-weight students train at lr 0.01, as in RepDistiller
# (train_student.py) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
