# resnet20 trained alone on CIFAR-100: the student of resnet56.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARResNet', arch='resnet20'),
    head=dict(in_channels=64))
