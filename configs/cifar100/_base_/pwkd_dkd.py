# PWKD + DKD on CIFAR-100: the stages and schedule of pwkd_kd.py with the
# DKD loss of dkd.py (mdistiller's settings and warm-up, once per run, not
# per stage) instead of KD.
_base_ = ['pwkd_kd.py']

model = dict(
    student_loss_weight=1.0,
    distill_losses=dict(
        _delete_=True,
        loss_dkd=dict(
            type='DKDLoss', tau=4, alpha=1, beta=8, loss_weight=1)))
default_hooks = dict(
    distill_warmup=dict(type='DistillWarmupHook', ratio=20 / 240))
