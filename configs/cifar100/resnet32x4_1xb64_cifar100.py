# resnet32x4 (stem 32, stages 64-128-256) trained alone on CIFAR-100: the
# teacher of resnet8x4, ShuffleNetV1 and ShuffleNetV2.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet32x4'),
    head=dict(in_channels=256))
