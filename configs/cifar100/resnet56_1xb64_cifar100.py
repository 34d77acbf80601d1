# resnet56 trained alone on CIFAR-100: the teacher of resnet20.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet56'),
    head=dict(in_channels=64))
