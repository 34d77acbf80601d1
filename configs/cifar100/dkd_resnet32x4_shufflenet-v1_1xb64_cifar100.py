# DKD, resnet32x4 -> ShuffleNetV1 on CIFAR-100: the pair's KD config with the
# DKD loss.
_base_ = [
    'kd_resnet32x4_shufflenet-v1_1xb64_cifar100.py',
    '_base_/dkd_loss.py',
]

model = _base_.dkd_model
default_hooks = _base_.dkd_default_hooks
