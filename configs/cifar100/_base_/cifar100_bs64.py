# CIFAR-100 as in the CRD benchmark protocol (RepDistiller, mdistiller):
# RandomCrop 32 with 4-pixel padding and horizontal flip, batch 64, one
# GPU. mmpretrain's CIFAR100 reads the python-format cifar-100-python folder
# under data/cifar100 (see this folder's README.md).
_base_ = 'mmpretrain::_base_/datasets/cifar100_bs16.py'

# mmpretrain's preprocessor with batched labels: same outputs,
# less CPU work per batch before the first kernel of a step.
data_preprocessor = dict(type='BatchedClsDataPreprocessor')

# Training workers start afresh each epoch (seeded by mmengine from the
# seed, rank and worker id), so a resumed run draws the augmentations the
# uninterrupted one drew; persistent workers carry random states no
# checkpoint can hold. Costs one worker start-up per epoch.
train_dataloader = dict(batch_size=64, num_workers=4, persistent_workers=False)
val_dataloader = dict(batch_size=64, num_workers=4)
test_dataloader = val_dataloader
