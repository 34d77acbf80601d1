# resnet8x4 trained alone on CIFAR-100: the student of resnet32x4.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet8x4'),
    head=dict(in_channels=256))
