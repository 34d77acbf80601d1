# PWKD + KD, ResNet34 -> ResNet18 on ImageNet: the vanilla KD baseline of
# configs/kd from the slimmable ResNet34 of configs/slimmable_teacher, in the
# four stages of _base_/pwkd_schedule.py. Total epochs, data and batch
# (8x32) are those of the KD baseline.
_base_ = [
    '../kd/kd_resnet34_resnet18_8xb32_in1k.py',
    '_base_/pwkd_schedule.py',
]

model = dict(
    teacher=_base_.pwkd_teacher,
    # Produced by configs/slimmable_teacher/slimmable_resnet34_8xb32_in1k.py.
    teacher_ckpt='work_dirs/slimmable_resnet34_8xb32_in1k/epoch_10.pth')
param_scheduler = _base_.pwkd_param_scheduler
