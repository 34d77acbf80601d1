# resnet32 trained alone on CIFAR-100: the student of resnet110.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet32'),
    head=dict(in_channels=64))
