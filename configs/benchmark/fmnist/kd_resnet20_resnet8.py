# Vanilla KD (tau 4, CE 0.1, KL 0.9): the slimmable teacher at full width
# for all 8 epochs, one cosine LR cycle; the same code path as PWKD with a
# single stage.
_base_ = ['student_resnet8.py']

model = dict(
    _delete_=True,
    type='PWKDDistiller',
    student={{_base_.model}},
    teacher=dict(
        type='SlimmableClassifier',
        widths=(0.25, 0.5, 0.75, 1.0),
        eval_all_widths=False,
        backbone=dict(type='CIFARResNet', arch='resnet20', in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64)),
    teacher_ckpt='work_dirs/accuracy/slimmable/epoch_1.pth',
    student_loss_weight=0.1,
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9)))

stages = [dict(width=1.0, epochs={{_base_.epochs}})]
custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
param_scheduler = dict(
    _delete_=True,
    type='CosineRestartLR',
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages),
    eta_min=0.0,
    by_epoch=True,
    convert_to_iter_based=True)
