# Vanilla KD in the demo: the slimmable resnet20 teacher at full width
# teaches a resnet8 on a 10k-image subset for 4 epochs. The same code path
# as PWKD with a single stage at width 1.0.
_base_ = ['fmnist_base.py']

widths = (0.25, 0.5, 0.75, 1.0)
epochs = 4
model = dict(
    type='PWKDDistiller',
    student=dict(
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', arch='resnet8', in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss'))),
    teacher=dict(
        type='SlimmableClassifier',
        widths=widths,
        eval_all_widths=False,
        backbone=dict(type='CIFARResNet', arch='resnet20', in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64)),
    teacher_ckpt='work_dirs/demo/slimmable/epoch_1.pth',
    student_loss_weight=0.1,
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9)))

train_dataloader = dict(dataset=dict(indices=10000))
stages = [dict(width=1.0, epochs=epochs)]
custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
param_scheduler = dict(
    type='CosineRestartLR',
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages),
    eta_min=0.0,
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(max_epochs=epochs)
