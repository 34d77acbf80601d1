# VGG8 trained alone on CIFAR-100: the student of VGG13.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARVGG', arch='vgg8'),
    head=dict(in_channels=512))
