# VGG13 trained alone on CIFAR-100: the teacher of VGG8 and MobileNetV2.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARVGG', arch='vgg13'),
    head=dict(in_channels=512))
