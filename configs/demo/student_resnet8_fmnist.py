# The demo student trained alone, on the same 10k images for 4 epochs.
_base_ = ['fmnist_base.py']

model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', arch='resnet8', in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss')))

train_dataloader = dict(dataset=dict(indices=10000))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=4,
                       convert_to_iter_based=True)
train_cfg = dict(max_epochs=4)
