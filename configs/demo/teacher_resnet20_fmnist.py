# The demo's teacher: a CIFAR-style resnet20 (16-32-64 channels) trained
# on 20k Fashion-MNIST images for 2 epochs.
_base_ = ['fmnist_base.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', arch='resnet20', in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss')))

train_dataloader = dict(dataset=dict(indices=20000))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=2,
                       convert_to_iter_based=True)
