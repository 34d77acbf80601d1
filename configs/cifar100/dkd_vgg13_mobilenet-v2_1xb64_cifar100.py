# DKD, VGG13 -> MobileNetV2 on CIFAR-100: the pair's KD config with the DKD
# loss. DKD beta 6, as mdistiller's configs/cifar100/dkd/vgg13_mv2.yaml.
_base_ = [
    'kd_vgg13_mobilenet-v2_1xb64_cifar100.py',
    '_base_/dkd_loss.py',
]

model = _base_.dkd_model
model.distill_losses.loss_dkd.beta = 6
default_hooks = _base_.dkd_default_hooks
