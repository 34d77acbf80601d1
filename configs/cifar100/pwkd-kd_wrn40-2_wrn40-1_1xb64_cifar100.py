# PWKD + KD, WRN-40-2 -> WRN-40-1 on CIFAR-100, from the slimmable teacher,
# widths 0.25 to 1.0.
_base_ = ['_base_/pwkd_kd.py']

model = dict(
    student=dict(
        backbone=dict(type='CIFARWideResNet', depth=40, widen_factor=1),
        head=dict(in_channels=64)),
    teacher=dict(
        backbone=dict(type='CIFARWideResNet', depth=40, widen_factor=2),
        head=dict(in_channels=128)),
    teacher_ckpt='work_dirs/cifar100/slimmable_wrn40-2_1xb64_cifar100/'
    'epoch_60.pth')
