# DKD (mdistiller's CIFAR recipe for ResNet pairs: CE 1, alpha 1, beta 8,
# tau 4) with the full teacher for all 8 epochs. mdistiller ramps the DKD
# loss in over the first 20 of 240 epochs; with 8 epochs there is no warm-up.
_base_ = ['kd_resnet20_resnet8.py']

model = dict(
    student_loss_weight=1.0,
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(type='DKDLoss', tau=4, alpha=1, beta=8,
                      loss_weight=1.0)))
