# VGG13 (vgg13_1xb64_cifar100.py) rebuilt as a slimmable network and fine-
# tuned jointly at widths 0.25/0.5/0.75/1.0 from its last checkpoint: the
# teacher of the PWKD configs.
_base_ = ['_base_/slimmable.py']

model = dict(
    backbone=dict(type='CIFARVGG', arch='vgg13'),
    head=dict(in_channels=512))
load_from = 'work_dirs/cifar100/vgg13_1xb64_cifar100/epoch_240.pth'
