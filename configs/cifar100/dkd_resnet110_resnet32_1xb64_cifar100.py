# DKD, resnet110 -> resnet32 on CIFAR-100: the pair's KD config with the DKD
# loss. DKD beta 2, as mdistiller's configs/cifar100/dkd/res110_res32.yaml.
_base_ = [
    'kd_resnet110_resnet32_1xb64_cifar100.py',
    '_base_/dkd_loss.py',
]

model = _base_.dkd_model
model.distill_losses.loss_dkd.beta = 2
default_hooks = _base_.dkd_default_hooks
