# DKD, resnet56 -> resnet20 on CIFAR-100, from the plain teacher. DKD beta 2,
# as mdistiller's configs/cifar100/dkd/res56_res20.yaml.
_base_ = ['_base_/dkd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARResNet', arch='resnet20'),
        head=dict(in_channels=64)),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet56'),
        head=dict(in_channels=64)),
    teacher_ckpt='work_dirs/cifar100/resnet56_1xb64_cifar100/epoch_240.pth',
    distill_losses=dict(loss_dkd=dict(beta=2)))
