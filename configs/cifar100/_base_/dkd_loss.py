# DKD on CIFAR-100 (Zhao et al., CVPR 2022) with mdistiller's settings
# (mdistiller/engine/cfg.py and configs/cifar100/dkd/*.yaml): the student's
# cross-entropy at weight 1, DKD at tau 4, alpha 1, beta 8 (leaf configs
# set mdistiller's beta where its pair differs: 2 for resnet56->resnet20
# and resnet110->resnet32, 6 for the WRN, VGG and MobileNetV2 pairs).
# mdistiller ramps the DKD loss up linearly over the first 20 of 240
# epochs: DistillWarmupHook does the same (our Fashion-MNIST study chose
# the warm-up on validation too; without it one seed of three collapsed).
#
# A DKD leaf inherits its pair's KD config and this file, and sets model and
# default_hooks from the dkd_* values below. They are values, not config
# keys, because mmengine refuses two bases that define the same key.
dkd_model = dict(
    student_loss_weight=1.0,
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(
            type='DKDLoss', tau=4, alpha=1, beta=8, loss_weight=1)))
dkd_default_hooks = dict(
    distill_warmup=dict(type='DistillWarmupHook', ratio=20 / 240))
