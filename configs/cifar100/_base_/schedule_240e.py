# The CRD protocol's schedule: 240 epochs of SGD at lr 0.05 (0.01 for the
# MobileNetV2 and ShuffleNet students, set in their configs), momentum 0.9,
# weight decay 5e-4, the lr divided by 10 at epochs 150, 180 and 210.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(
    type='MultiStepLR', by_epoch=True, milestones=[150, 180, 210], gamma=0.1)
train_cfg = dict(by_epoch=True, max_epochs=240, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
