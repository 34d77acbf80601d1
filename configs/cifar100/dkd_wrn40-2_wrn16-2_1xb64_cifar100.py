# DKD, WRN-40-2 -> WRN-16-2 on CIFAR-100: the pair's KD config with the DKD
# loss. DKD beta 6, as mdistiller's
# configs/cifar100/dkd/wrn40_2_wrn_16_2.yaml.
_base_ = [
    'kd_wrn40-2_wrn16-2_1xb64_cifar100.py',
    '_base_/dkd_loss.py',
]

model = _base_.dkd_model
model.distill_losses.loss_dkd.beta = 6
default_hooks = _base_.dkd_default_hooks
