# PWKD + DKD, VGG13 -> VGG8 on CIFAR-100, from the slimmable teacher, widths
# 0.25 to 1.0. DKD beta 6, as mdistiller's
# configs/cifar100/dkd/vgg13_vgg8.yaml.
_base_ = ['_base_/pwkd_dkd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARVGG', arch='vgg8'),
        head=dict(in_channels=512)),
    teacher=dict(
        backbone=dict(type='CIFARVGG', arch='vgg13'),
        head=dict(in_channels=512)),
    teacher_ckpt='work_dirs/cifar100/slimmable_vgg13_1xb64_cifar100/'
    'epoch_60.pth',
    distill_losses=dict(loss_dkd=dict(beta=6)))
