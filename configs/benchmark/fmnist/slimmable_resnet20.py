# The benchmark teacher rebuilt as a slimmable network (widths
# 0.25/0.5/0.75/1.0) and fine-tuned jointly for 1 epoch on its 30k images,
# starting from the plain teacher (load_from is set by the benchmark tool).
_base_ = ['teacher_resnet20.py']

widths = (0.25, 0.5, 0.75, 1.0)
model = dict(type='SlimmableClassifier', widths=widths)

optim_wrapper = dict(optimizer=dict(lr=0.02))
param_scheduler = dict(T_max=1)
train_cfg = dict(max_epochs=1, val_interval=1)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='PerWidthAccuracy', topk=(1, )),
]
test_evaluator = val_evaluator
