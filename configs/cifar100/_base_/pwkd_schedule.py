# PWKD on CIFAR-100 (Zhang, Zhang, Sun, arXiv 2109.12507): the teacher
# slimmable and the run split into four stages of 60 epochs, teacher
# widths 0.25, 0.5, 0.75 and 1.0, narrowest first. The learning rate
# restarts at each stage and follows a cosine to 0 within it; each restart
# is warmed up over the first 10% of its stage, the shape our Fashion-MNIST
# study chose on validation (docs/benchmarks/accuracy.md;
# pwkd_schedule_paper.py is the paper's recipe without the warm-up). The
# paper's abstract (all we have of it) gives no CIFAR schedule: as many
# equal stages as widths, adding up to the KD schedule (240 epochs), is our
# default.
#
# A PWKD leaf inherits its pair's KD or DKD config and this file, and sets
# model.teacher, custom_hooks, param_scheduler and train_cfg from the pwkd_*
# values below. They are values, not config keys, because mmengine refuses
# two bases that define the same key.
widths = (0.25, 0.5, 0.75, 1.0)
stage_epochs = 60
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
