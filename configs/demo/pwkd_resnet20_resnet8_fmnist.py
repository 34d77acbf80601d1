# PWKD in the demo: the same teacher, student, data and epochs as the KD
# run, in four 1-epoch stages from the teacher's narrowest sub-network to
# the whole teacher, the learning rate restarting at each stage.
_base_ = ['kd_resnet20_resnet8_fmnist.py']

# The teacher is scored at its active width too: what each stage teaches.
model = dict(eval_teacher=True)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(
        type='PerWidthAccuracy',
        prefix='teacher',
        score_field='teacher_score_per_width',
        width_in_name=False),
]
test_evaluator = val_evaluator

stages = [dict(width=w, epochs=1) for w in (0.25, 0.5, 0.75, 1.0)]
custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
param_scheduler = dict(
    periods=[s['epochs'] for s in stages],
    restart_weights=[1.0] * len(stages))
