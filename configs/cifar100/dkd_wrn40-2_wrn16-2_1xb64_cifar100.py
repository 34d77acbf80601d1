# DKD, WRN-40-2 -> WRN-16-2 on CIFAR-100, from the plain teacher. DKD beta 6,
# as mdistiller's configs/cifar100/dkd/wrn40_2_wrn_16_2.yaml.
_base_ = ['_base_/dkd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARWideResNet', depth=16, widen_factor=2),
        head=dict(in_channels=128)),
    teacher=dict(
        backbone=dict(type='CIFARWideResNet', depth=40, widen_factor=2),
        head=dict(in_channels=128)),
    teacher_ckpt='work_dirs/cifar100/wrn40-2_1xb64_cifar100/epoch_240.pth',
    distill_losses=dict(loss_dkd=dict(beta=6)))
