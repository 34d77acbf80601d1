# The benchmark student alone: the demo's resnet8 on a 5k-image subset for
# 8 epochs. A small training set for the student and a teacher that saw
# six times more data is the regime where a teacher's soft labels can help
# (on the full set for 2 epochs, KD gave no gain beyond seed noise).
_base_ = ['../../demo/student_resnet8_fmnist.py']

epochs = 8
train_dataloader = dict(dataset=dict(indices=5000))
param_scheduler = dict(T_max=epochs)
train_cfg = dict(max_epochs=epochs)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=epochs, max_keep_ckpts=1, save_last=True))
