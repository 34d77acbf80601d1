# Vanilla KD (CRD protocol: tau 4, CE 0.1, KL 0.9) from the slimmable
# teacher at full width, with everything else as the student alone: PWKD
# with one stage at width 1.0. A slimmable teacher trains only under a
# stage hook, so that a run cannot lose its stages without a word.
_base_ = ['resnet8_1xb128_fmnist-student.py']

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
    # Relative to this file, so that the copy an installed mmpwkd carries
    # (mmpwkd/.mim/configs/...) finds the checkpoint it ships beside it.
    teacher_ckpt='{{ fileDirname }}/../../../checkpoints/'
    'slimmable-resnet20_1xb128_fmnist-teacher.pth',
    student_loss_weight=0.1,
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9)))
custom_hooks = [
    dict(type='PWKDStageHook', stages=[dict(width=1.0, ratio=1)])
]
