# Vanilla KD, ResNet34 -> ResNet18 on ImageNet: 100 epochs, 8 GPUs x 32
# images, SGD 0.1 decayed x0.1 at 30/60/90 (MMRazor's recipe). The same
# code path as PWKD with one stage at width 1.0.
_base_ = [
    '../_base_/models/kd_r34_r18.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

# Validation also scores the teacher at its active width (teacher/top1,
# teacher/width), so the log shows what each stage teaches.
model = dict(eval_teacher=True)
val_evaluator = [
    dict(type='Accuracy', topk=(1, 5)),
    dict(
        type='PerWidthAccuracy',
        topk=(1, 5),
        prefix='teacher',
        score_field='teacher_score_per_width',
        width_in_name=False),
]
test_evaluator = val_evaluator

# Training workers start afresh each epoch (seeded by mmengine from the
# seed, rank and worker id), so a resumed run draws the augmentations the
# uninterrupted one drew; persistent workers carry random states no
# checkpoint can hold. Costs one worker start-up per epoch.
train_dataloader = dict(persistent_workers=False)
