# WRN-40-2 (pre-activation, 32-64-128 channels) trained alone on CIFAR-100:
# the teacher of WRN-16-2 and WRN-40-1.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARWideResNet', depth=40, widen_factor=2),
    head=dict(in_channels=128))
