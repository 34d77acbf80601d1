# One network trained alone on CIFAR-100 (a teacher, or a student without
# a teacher). Leaf configs add the backbone and the head's in_channels.
_base_ = ['cifar100_bs64.py', 'schedule_240e.py', 'runtime.py']

model = dict(
    type='ImageClassifier',
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
