# Accuracy benchmark (tools/benchmark/accuracy.py): the teacher, a
# CIFAR-style resnet20 trained on 30k Fashion-MNIST images for 4 epochs.
_base_ = ['../../demo/fmnist_base.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', arch='resnet20', in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss')))

train_dataloader = dict(dataset=dict(indices=30000))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=4,
                       convert_to_iter_based=True)
train_cfg = dict(max_epochs=4, val_interval=4)
default_hooks = dict(logger=dict(interval=50))
