# The benchmark student alone: resnet8 on a 5k-image subset for 8 epochs.
# A small training set for the student and a teacher that saw six times
# more data is the regime where a teacher's soft labels can help (on the
# full set for 2 epochs, KD gave no gain beyond seed noise).
_base_ = ['../../demo/fmnist_base.py']

epochs = 8
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', arch='resnet8', in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss')))

train_dataloader = dict(dataset=dict(indices=5000))
param_scheduler = dict(type='CosineAnnealingLR', by_epoch=True, T_max=epochs,
                       convert_to_iter_based=True)
train_cfg = dict(max_epochs=epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=epochs, max_keep_ckpts=1, save_last=True))
