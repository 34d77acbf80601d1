# WRN-40-1 (pre-activation, 16-32-64 channels) trained alone on CIFAR-100:
# the student of WRN-40-2.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARWideResNet', depth=40, widen_factor=1),
    head=dict(in_channels=64))
