# PWKD + DKD, ResNet34 -> ResNet18 on ImageNet: the PWKD schedule of
# r34_r18_in1k.py with the DKD loss of
# configs/kd/dkd_resnet34_resnet18_8xb32_in1k.py (MMRazor's recipe: tau 1,
# alpha 1, beta 0.5, weight 1) instead of KD.
_base_ = ['./r34_r18_in1k.py']

model = dict(
    student_loss_weight=1.0,
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(
            type='DKDLoss', tau=1, alpha=1, beta=0.5, loss_weight=1)))
