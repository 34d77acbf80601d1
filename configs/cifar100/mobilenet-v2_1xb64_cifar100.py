# MobileNetV2 (the benchmark's mobile_half: width 0.5, 1280 final) trained
# alone on CIFAR-100: the student of VGG13.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARMobileNetV2', widen_factor=0.5),
    head=dict(in_channels=1280))

# The light-weight students train at lr 0.01, as in RepDistiller
# (train_student.py) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
