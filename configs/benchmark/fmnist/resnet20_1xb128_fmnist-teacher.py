# The benchmark's teacher: a CIFAR-style resnet20 (0.27 M parameters)
# trained for 10 epochs on the 50k images of the 'teacher' part, none of
# which a student or the validation part holds.
_base_ = ['_base_/fmnist.py']

epochs = 10
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', arch='resnet20', in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss')))

train_dataloader = dict(dataset=dict(part='teacher'))
# One cosine cycle over the whole run (its length is the train loop's).
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, convert_to_iter_based=True)
train_cfg = dict(max_epochs=epochs, val_interval=1)
default_hooks = dict(logger=dict(interval=50))
