# PWKD on CIFAR-100 (Zhang, Zhang, Sun, arXiv 2109.12507): the teacher
# slimmable and the run split into four equal stages, teacher widths 0.25,
# 0.5, 0.75 and 1.0, narrowest first. The learning rate restarts at each
# stage and follows a cosine to 0 within it; each restart is warmed up over
# the first 10% of its stage, the shape our Fashion-MNIST study chose on
# validation (docs/benchmarks/accuracy.md; pwkd_schedule_paper.py is the
# paper's recipe without the warm-up). The paper's abstract (all we have of
# it) gives no CIFAR schedule: as many equal stages as widths over the KD
# schedule (240 epochs, so 60 each) is our default.
#
# The stages are stated once, in custom_hooks: PWKDStageHook owns them and
# hands them to StageCosineLR and to the checkpoints. `ratio` lengths are
# shares of the run, so the run's length stays the KD config's
# train_cfg.max_epochs; to change the stages a config sets custom_hooks
# alone. A PWKD leaf inherits its pair's KD or DKD config and this file and
# takes the teacher and the LR schedule from the pwkd_* values below
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
