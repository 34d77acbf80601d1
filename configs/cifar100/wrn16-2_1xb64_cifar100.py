# WRN-16-2 (pre-activation, 32-64-128 channels) trained alone on CIFAR-100:
# the student of WRN-40-2.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARWideResNet', depth=16, widen_factor=2),
    head=dict(in_channels=128))
