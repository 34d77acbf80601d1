# PWKD on ImageNet, ResNet34 -> ResNet18: the teacher slimmable (widths
# 0.25/0.5/0.75/1.0) and the 100 epochs of the KD baseline split into four
# equal stages (25 epochs each), narrowest sub-network first. The learning
# rate restarts at each stage (cosine within a stage), each restart warmed
# up over the first 10% of its stage: the shape our Fashion-MNIST study
# chose on validation (docs/benchmarks/accuracy.md). The paper's recipe,
# without the warm-up, is pwkd-kd-paper_resnet34_resnet18_8xb32_in1k.py.
#
# The stages are stated once, in custom_hooks: PWKDStageHook owns them and
# hands them to StageCosineLR and to the checkpoints. `ratio` lengths are
# shares of the run, so the run's length stays the KD config's
# train_cfg.max_epochs; to change the stages a config sets custom_hooks
# alone. A PWKD config inherits its KD config (configs/kd) and this file
# and takes the teacher and the LR schedule from the pwkd_* values below
# (values, not config keys: mmengine refuses two bases that define the
# same key, and the KD config defines model and param_scheduler).
widths = (0.25, 0.5, 0.75, 1.0)

custom_hooks = [
    dict(type='PWKDStageHook', stages=[dict(width=w, ratio=1) for w in widths])
]
pwkd_teacher = dict(
    type='SlimmableClassifier', widths=widths, eval_all_widths=False)
pwkd_param_scheduler = dict(
    _delete_=True,
    type='StageCosineLR',
    restart_warmup=0.1,
    by_epoch=True,
    convert_to_iter_based=True)
