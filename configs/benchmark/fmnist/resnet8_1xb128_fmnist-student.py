# The benchmark's student alone: a CIFAR-style resnet8 (0.08 M parameters)
# on a class-balanced subset of the 'student' part (per_class images of
# each class), SGD with one cosine LR cycle. 100 images per class (1k in
# all) for 30 epochs is the regime tools/benchmark/accuracy.py's pilot
# chose on the validation part: the cheapest cell where KD beat the
# student alone by >= 1.5 points and twice the pooled std over 5 seeds.
_base_ = ['_base_/fmnist.py']

per_class = 100
epochs = 30
model = dict(
    type='ImageClassifier',
    backbone=dict(type='CIFARResNet', arch='resnet8', in_channels=1),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=64,
        loss=dict(type='CrossEntropyLoss')))

train_dataloader = dict(dataset=dict(per_class=per_class))
# One cosine cycle over the whole run (its length is the train loop's).
param_scheduler = dict(
    type='CosineAnnealingLR', by_epoch=True, convert_to_iter_based=True)
train_cfg = dict(max_epochs=epochs, val_interval=epochs // 10)
# Every iteration is logged, so that the benchmark can sum training time
# up to each validation; only the last checkpoint is kept.
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=-1, save_last=True))
