# PWKD + DKD, ResNet34 -> ResNet18 on ImageNet: the DKD config of
# configs/kd (MMRazor's loss: tau 1, alpha 1/2, beta 0.5/1000 in our
# batch-mean units, weight 1) from the slimmable teacher, in the stages of
# _base_/pwkd_schedule.py, as r34_r18_in1k.py.
_base_ = [
    '../kd/dkd_resnet34_resnet18_8xb32_in1k.py',
    '_base_/pwkd_schedule.py',
]

model = dict(
    teacher=_base_.pwkd_teacher,
    # Produced by configs/slimmable_teacher/slimmable_resnet34_8xb32_in1k.py.
    teacher_ckpt='work_dirs/slimmable_resnet34_8xb32_in1k/epoch_10.pth')
param_scheduler = _base_.pwkd_param_scheduler
