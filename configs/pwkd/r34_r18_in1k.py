# PWKD + KD, ResNet34 -> ResNet18 on ImageNet. The teacher is the slimmable
# ResNet34 of configs/slimmable_teacher (widths 0.25/0.5/0.75/1.0); four
# stages of 25 epochs, narrowest sub-network first, and the learning rate
# restarts at each stage (cosine within a stage), each restart warmed up
# over the first 10% of its stage: the shape our Fashion-MNIST study chose
# on validation (docs/benchmarks/accuracy.md). The paper's recipe, without
# the warm-up, is pwkd-kd-paper_resnet34_resnet18_8xb32_in1k.py. Total
# epochs, data and batch (8x32) are those of the vanilla KD baseline.
_base_ = ['../kd/kd_resnet34_resnet18_8xb32_in1k.py']

widths = (0.25, 0.5, 0.75, 1.0)
stage_epochs = 25
stages = [dict(width=width, epochs=stage_epochs) for width in widths]

model = dict(
    teacher=dict(
        type='SlimmableClassifier', widths=widths, eval_all_widths=False),
    # Produced by configs/slimmable_teacher/slimmable_resnet34_8xb32_in1k.py.
    teacher_ckpt='work_dirs/slimmable_resnet34_8xb32_in1k/epoch_10.pth')

custom_hooks = [dict(type='PWKDStageHook', stages=stages)]

# Cyclic LR: a cosine within each stage, restarting with it; the restarts
# are derived from the same stage list, so the two cannot drift apart.
param_scheduler = dict(
    _delete_=True,
    type='StageCosineLR',
    stages=stages,
    restart_warmup=0.1,
    by_epoch=True,
    convert_to_iter_based=True)
train_cfg = dict(max_epochs=stage_epochs * len(widths))
