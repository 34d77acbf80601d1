# DKD, resnet110 -> resnet32 on CIFAR-100, from the plain teacher. DKD beta
# 2, as mdistiller's configs/cifar100/dkd/res110_res32.yaml.
_base_ = ['_base_/dkd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARResNet', arch='resnet32'),
        head=dict(in_channels=64)),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet110'),
        head=dict(in_channels=64)),
    teacher_ckpt='work_dirs/cifar100/resnet110_1xb64_cifar100/epoch_240.pth',
    distill_losses=dict(loss_dkd=dict(beta=2)))
