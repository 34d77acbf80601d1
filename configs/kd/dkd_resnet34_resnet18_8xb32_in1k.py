# DKD, ResNet34 -> ResNet18 on ImageNet: MMRazor's recipe
# (configs/distill/mmcls/dkd/dkd_resnet34_resnet18_8xb32_in1k.py): tau 1,
# alpha 1, beta 0.5, weight 1, reduction='mean', the student's
# cross-entropy at weight 1, no loss warm-up. Schedule and data are those
# of the vanilla KD baseline.
#
# Their reduction='mean' averages each KL over its elements: the target
# term over N x 2 (target, rest), the non-target term over N x 1000
# classes. Our DKDLoss sums over classes and averages over the batch
# (batchmean, the DKD paper's), so the same loss value takes alpha 1 / 2
# and beta 0.5 / 1000, as tools/misc/from_mmrazor.py converts it.
_base_ = ['./kd_resnet34_resnet18_8xb32_in1k.py']

model = dict(
    student_loss_weight=1.0,
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(
            type='DKDLoss', tau=1, alpha=1 / 2, beta=0.5 / 1000,
            loss_weight=1)))
