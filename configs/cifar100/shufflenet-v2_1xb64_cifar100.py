# ShuffleNetV2 (the benchmark's ShuffleV2 (1x): 116-232-464 channels, 1024
# final) trained alone on CIFAR-100: the student of resnet32x4.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARShuffleNetV2', widen_factor=1.0),
    head=dict(in_channels=1024))

# The light-weight students train at lr 0.01, as in RepDistiller
# (train_student.py) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
