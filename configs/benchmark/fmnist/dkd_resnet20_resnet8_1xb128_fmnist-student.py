# DKD (mdistiller's CIFAR recipe for ResNet pairs: CE 1, alpha 1, beta 8,
# tau 4) from the whole teacher. mdistiller also warms the DKD loss up over
# the first 20 of 240 epochs; here that is one option away:
#   --cfg-options default_hooks.distill_warmup.type=DistillWarmupHook \
#                 default_hooks.distill_warmup.ratio=0.08
_base_ = ['kd_resnet20_resnet8_1xb128_fmnist-student.py']

model = dict(
    student_loss_weight=1.0,
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(
            type='DKDLoss', tau=4, alpha=1, beta=8, loss_weight=1.0)))
