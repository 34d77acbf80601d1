# PWKD + DKD, resnet110 -> resnet32 on CIFAR-100, from the slimmable teacher,
# widths 0.25 to 1.0. DKD beta 2, as mdistiller's
# configs/cifar100/dkd/res110_res32.yaml.
_base_ = ['_base_/pwkd_dkd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARResNet', arch='resnet32'),
        head=dict(in_channels=64)),
    teacher=dict(
        backbone=dict(type='CIFARResNet', arch='resnet110'),
        head=dict(in_channels=64)),
    teacher_ckpt='work_dirs/cifar100/slimmable_resnet110_1xb64_cifar100/'
    'epoch_60.pth',
    distill_losses=dict(loss_dkd=dict(beta=2)))
