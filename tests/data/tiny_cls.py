# A tiny classifier on a synthetic image folder, for tests of the tools.
# Tests pass data_root through --cfg-options.
_base_ = ['../../configs/_base_/default_runtime.py']

data_root = None
num_classes = 4
model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        num_classes=num_classes,
        mean=[127.5, 127.5, 127.5],
        std=[64.0, 64.0, 64.0],
        to_rgb=False),
    backbone=dict(
        type='ResNet_CIFAR',
        depth=18,
        stem_channels=8,
        base_channels=8,
        num_stages=2,
        strides=(1, 2),
        dilations=(1, 1),
        out_indices=(1, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=num_classes,
        in_channels=16,
        loss=dict(type='CrossEntropyLoss')))

pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='CustomDataset', data_root=data_root,
                 pipeline=pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='CustomDataset',
        data_root=data_root,
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='PackInputs')]))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=1)
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(type='MultiStepLR', by_epoch=True, milestones=[3])

default_hooks = dict(
    logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=-1))
randomness = dict(seed=0, deterministic=True)
