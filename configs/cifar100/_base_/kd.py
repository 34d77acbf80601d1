# Vanilla KD on CIFAR-100 with the CRD protocol's loss (Hinton et al.):
# KL at tau 4 with weight 0.9, the student's cross-entropy at weight 0.1,
# as RepDistiller and mdistiller. A frozen, plain teacher; the same code
# path as PWKD with one stage at width 1.0. Leaf configs add the two
# backbones, the heads' in_channels and the teacher checkpoint.
_base_ = ['cifar100_bs64.py', 'schedule_240e.py', 'runtime.py']

model = dict(
    type='PWKDDistiller',
    student=dict(
        type='ImageClassifier',
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=100,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0))),
    teacher=dict(
        type='ImageClassifier',
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=100)),
    student_loss_weight=0.1,
    distill_losses=dict(loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9)),
    # Validation also scores the teacher at its active width (teacher/top1,
    # teacher/width): what each PWKD stage teaches.
    eval_teacher=True)

val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(
        type='PerWidthAccuracy',
        prefix='teacher',
        score_field='teacher_score_per_width',
        width_in_name=False),
]
test_evaluator = val_evaluator
