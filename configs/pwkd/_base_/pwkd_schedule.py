# PWKD on ImageNet, ResNet34 -> ResNet18: the teacher slimmable (widths
# 0.25/0.5/0.75/1.0) and the 100 epochs of the KD baseline split into four
# stages of 25, narrowest sub-network first. The learning rate restarts at
# each stage (cosine within a stage), each restart warmed up over the first
# 10% of its stage: the shape our Fashion-MNIST study chose on validation
# (docs/benchmarks/accuracy.md). The paper's recipe, without the warm-up, is
# pwkd-kd-paper_resnet34_resnet18_8xb32_in1k.py.
#
# A PWKD config inherits its KD config (configs/kd) and this file, and sets
# model.teacher, custom_hooks, param_scheduler and train_cfg from the pwkd_*
# values below. They are values, not config keys, because mmengine refuses
# two bases that define the same key.
widths = (0.25, 0.5, 0.75, 1.0)
stage_epochs = 25
stages = [dict(width=width, epochs=stage_epochs) for width in widths]

pwkd_teacher = dict(
    type='SlimmableClassifier', widths=widths, eval_all_widths=False)
pwkd_custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
# Cyclic LR: a cosine within each stage, restarting with it; the restarts
# are derived from the same stage list, so the two cannot drift apart.
pwkd_param_scheduler = dict(
    _delete_=True,
    type='StageCosineLR',
    stages=stages,
    restart_warmup=0.1,
    by_epoch=True,
    convert_to_iter_based=True)
pwkd_train_cfg = dict(max_epochs=stage_epochs * len(widths))
