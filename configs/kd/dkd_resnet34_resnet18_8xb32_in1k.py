# DKD, ResNet34 -> ResNet18 on ImageNet: MMRazor's recipe
# (configs/distill/mmcls/dkd/dkd_resnet34_resnet18_8xb32_in1k.py): tau 1,
# alpha 1, beta 0.5, weight 1, the student's cross-entropy at weight 1, no
# loss warm-up. Schedule and data are those of the vanilla KD baseline.
_base_ = ['./kd_resnet34_resnet18_8xb32_in1k.py']

model = dict(
    student_loss_weight=1.0,
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(
            type='DKDLoss', tau=1, alpha=1, beta=0.5, loss_weight=1)))
