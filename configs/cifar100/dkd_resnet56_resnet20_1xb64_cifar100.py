# DKD, resnet56 -> resnet20 on CIFAR-100: the pair's KD config with the DKD
# loss. DKD beta 2, as mdistiller's configs/cifar100/dkd/res56_res20.yaml.
_base_ = [
    'kd_resnet56_resnet20_1xb64_cifar100.py',
    '_base_/dkd_loss.py',
]

model = _base_.dkd_model
model.distill_losses.loss_dkd.beta = 2
default_hooks = _base_.dkd_default_hooks
