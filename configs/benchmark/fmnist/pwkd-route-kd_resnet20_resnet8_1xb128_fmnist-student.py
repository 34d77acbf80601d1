# Route-constrained KD (Jin et al., ICCV 2019) in PWKD's stage machinery:
# the teacher is partial in training instead of in width. Four equal
# stages distil from the plain resnet20 teacher as it was after 3, 5, 8 and
# 10 of its 10 epochs (the quarter points of its run), with PWKD + KD's LR
# shape: a cosine restart per stage, warmed up over its first 10%.
#
# The checkpoints are the plain teacher's run, every epoch kept, as
# tools/benchmark/accuracy.py trains it; train it first with
#     python tools/train.py \
#         configs/benchmark/fmnist/resnet20_1xb128_fmnist-teacher.py \
#         --work-dir work_dirs/accuracy/teacher \
#         --cfg-options default_hooks.checkpoint.max_keep_ckpts=-1
# or point the stages elsewhere: custom_hooks.0.stages.0.checkpoint=PATH.
_base_ = ['pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py']

route = 'work_dirs/accuracy/teacher'
model = dict(
    teacher=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(type='CIFARResNet', arch='resnet20', in_channels=1),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=64)),
    # The whole teacher, as the last stage has it; each stage loads its own
    # checkpoint when it starts (and when a resume enters it).
    teacher_ckpt=f'{route}/epoch_10.pth')
custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[
            dict(checkpoint=f'{route}/epoch_{epoch}.pth', ratio=1)
            for epoch in (3, 5, 8, 10)
        ])
]
