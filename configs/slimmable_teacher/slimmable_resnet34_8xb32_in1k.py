# Slimmable ResNet34 on ImageNet, the teacher of configs/pwkd: widths
# 0.25/0.5/0.75/1.0 share mmpretrain's pretrained ResNet34 weights, each
# with its own batch norms, and are fine-tuned jointly (every width every
# iteration, one optimizer step). 10 epochs, 8 GPUs x 32 images, SGD lr
# 0.01 with a 1-epoch linear warm-up and a cosine decay to 0 [our choice]:
# far cheaper than the 100 epochs from scratch of S-ResNet, and width 1.0
# starts as the original 73.62% network.
_base_ = [
    'mmpretrain::_base_/models/resnet34.py',
    'mmpretrain::_base_/datasets/imagenet_bs32.py',
    'mmpretrain::_base_/schedules/imagenet_bs256.py',
    '../_base_/default_runtime.py',
]

widths = (0.25, 0.5, 0.75, 1.0)
# The mmpretrain base model is built in mmpretrain's scope, which does not
# know mmpwkd's classifier.
model = dict(type='SlimmableClassifier', _scope_='mmpwkd', widths=widths)
# mmpretrain's preprocessor with batched labels (same outputs, less CPU
# work per batch before the first kernel of a step). The distiller
# configs get it by default; a classifier needs it named.
data_preprocessor = dict(type='BatchedClsDataPreprocessor')

# The stock checkpoint loads without key renaming; every narrow BN starts
# from the loaded full-width one.
load_from = 'https://download.openmmlab.com/mmclassification/v0/resnet/resnet34_8xb32_in1k_20210831-f257d4e6.pth'  # noqa: E501

optim_wrapper = dict(optimizer=dict(lr=0.01))
# The narrow widths start far from trained; the warm-up keeps their first
# large gradients from disturbing the shared weights of width 1.0.
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.1,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=9,
        eta_min=0.0,
        by_epoch=True,
        begin=1,
        end=10,
        convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=10)

val_evaluator = [
    dict(type='Accuracy', topk=(1, 5)),
    dict(type='PerWidthAccuracy', topk=(1, 5)),
]
test_evaluator = val_evaluator

# configs/pwkd reads the last checkpoint, epoch_10.pth.
default_hooks = dict(checkpoint=dict(max_keep_ckpts=2))

# Training workers start afresh each epoch (seeded by mmengine from the
# seed, rank and worker id), so a resumed run draws the augmentations the
# uninterrupted one drew; persistent workers carry random states no
# checkpoint can hold. Costs one worker start-up per epoch.
train_dataloader = dict(persistent_workers=False)
