# Accuracy benchmark (tools/benchmark/accuracy.py): the demo's teacher, a
# CIFAR-style resnet20, trained longer, on 30k Fashion-MNIST images for 4
# epochs.
_base_ = ['../../demo/teacher_resnet20_fmnist.py']

train_dataloader = dict(dataset=dict(indices=30000))
param_scheduler = dict(T_max=4)
train_cfg = dict(max_epochs=4, val_interval=4)
default_hooks = dict(logger=dict(interval=50))
