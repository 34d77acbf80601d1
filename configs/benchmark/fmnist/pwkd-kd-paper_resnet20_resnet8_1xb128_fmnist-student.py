# PWKD + KD as the paper describes it: four equal stages from the teacher's
# narrowest sub-network to the whole teacher, the LR restarting (cosine) at
# each stage. The stages are stated once, in the stage hook; the scheduler
# takes its restarts from it, so a variant changes custom_hooks alone.
_base_ = ['kd_resnet20_resnet8_1xb128_fmnist-student.py']

custom_hooks = [
    dict(
        type='PWKDStageHook',
        stages=[dict(width=w, ratio=1) for w in (0.25, 0.5, 0.75, 1.0)])
]
param_scheduler = dict(
    _delete_=True,
    type='StageCosineLR',
    by_epoch=True,
    convert_to_iter_based=True)
