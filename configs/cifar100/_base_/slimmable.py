# A trained CIFAR-100 teacher rebuilt as a slimmable network (widths
# 0.25/0.5/0.75/1.0 sharing its weights, each with its own batch norms) and
# fine-tuned jointly: every width every iteration, one optimizer step.
# Leaf configs add the backbone, the head's in_channels and load_from (the
# plain teacher's last checkpoint).
# [our choice] 60 epochs (a quarter of the teacher's 240) at lr 0.01 (a
# fifth of the from-scratch 0.05, as the demo's 0.02 is of its 0.1), a
# 1-epoch linear warm-up, then a cosine decay to 0. Width 1.0 starts as the
# trained teacher; the narrow widths start from its leading channels.
_base_ = ['cifar100_bs64.py', 'schedule_240e.py', 'runtime.py']

widths = (0.25, 0.5, 0.75, 1.0)
epochs = 60
model = dict(
    type='SlimmableClassifier',
    widths=widths,
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=100,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

optim_wrapper = dict(optimizer=dict(lr=0.01))
# The narrow widths start far from trained; the warm-up keeps their first
# large gradients from disturbing the shared weights of width 1.0.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=epochs - 1,
        eta_min=0.0,
        by_epoch=True,
        begin=1,
        end=epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=epochs)

val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='PerWidthAccuracy', topk=(1, )),
]
test_evaluator = val_evaluator
