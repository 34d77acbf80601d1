# resnet110 trained alone on CIFAR-100: the teacher of resnet32.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet110'),
    head=dict(in_channels=64))
