# The benchmark's teacher rebuilt as a slimmable network (widths
# 0.25/0.5/0.75/1.0) and fine-tuned jointly for 3 epochs on the 'teacher'
# part, from the plain teacher (load_from is set by the benchmark tool).
_base_ = ['resnet20_1xb128_fmnist-teacher.py']

epochs = 3
model = dict(type='SlimmableClassifier', widths=(0.25, 0.5, 0.75, 1.0))

optim_wrapper = dict(optimizer=dict(lr=0.05))
train_cfg = dict(max_epochs=epochs)
val_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='PerWidthAccuracy', topk=(1, )),
]
test_evaluator = val_evaluator
