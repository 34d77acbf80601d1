# PWKD + FitNet hints + KD, ResNet34 -> ResNet18 on ImageNet: the FitNet + KD
# config of configs/kd from the slimmable teacher, in the stages of
# _base_/pwkd_schedule.py, as r34_r18_in1k.py. Each connector maps to the
# teacher's full width (256 / 512 channels) and is sliced to the active
# width (64 / 128 channels at width 0.25), so one connector serves every
# stage.
_base_ = [
    '../kd/fitnet-kd_resnet34_resnet18_8xb32_in1k.py',
    '_base_/pwkd_schedule.py',
]

model = dict(
    teacher=_base_.pwkd_teacher,
    # Produced by configs/slimmable_teacher/slimmable_resnet34_8xb32_in1k.py.
    teacher_ckpt='work_dirs/slimmable_resnet34_8xb32_in1k/epoch_10.pth')
param_scheduler = _base_.pwkd_param_scheduler
