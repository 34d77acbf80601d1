# ShuffleNetV1 (the benchmark's ShuffleV1: 240-480-960 channels, groups 3)
# trained alone on CIFAR-100: the student of resnet32x4.
_base_ = ['_base_/classifier.py']

model = dict(
    backbone=dict(type='CIFARShuffleNetV1'),
    head=dict(in_channels=960))

# The light-weight students train at lr 0.01, as in RepDistiller
# (train_student.py) and mdistiller.
optim_wrapper = dict(optimizer=dict(lr=0.01))
