# PWKD + KD, resnet110 -> resnet32 on CIFAR-100: the pair's KD config from
# the slimmable teacher, in four stages.
_base_ = [
    'kd_resnet110_resnet32_1xb64_cifar100.py',
    '_base_/pwkd_schedule.py',
]

model = dict(
    teacher=_base_.pwkd_teacher,
    teacher_ckpt='work_dirs/cifar100/slimmable_resnet110_1xb64_cifar100/'
    'epoch_60.pth')
param_scheduler = _base_.pwkd_param_scheduler
