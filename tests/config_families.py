"""The config families and a tiny run of each, for tests.

Each family's distillation config (ImageNet under configs/pwkd, the
CIFAR-100 zoo, the Fashion-MNIST benchmark) is wrapped in a config that
inherits it and swaps in tiny data, one epoch per PWKD stage and no teacher
checkpoint, so that a test runs the real config in seconds.
"""
from pathlib import Path
from typing import Dict

from conftest import REPO
from helpers import tiny_pwkd

FAMILIES: Dict[str, Dict[str, str]] = dict(
    imagenet=dict(
        distill='configs/pwkd/r34_r18_in1k.py',
        slimmable='configs/slimmable_teacher/slimmable_resnet34_8xb32_in1k.py'),
    cifar100=dict(
        distill='configs/cifar100/pwkd-kd_resnet56_resnet20_1xb64_cifar100.py',
        slimmable='configs/cifar100/slimmable_resnet56_1xb64_cifar100.py'),
    fmnist=dict(
        distill='configs/benchmark/fmnist/'
        'pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py',
        slimmable='configs/benchmark/fmnist/'
        'slimmable-resnet20_1xb128_fmnist-teacher.py'),
)
# What the image shape of each family is, for the complexity tool.
SHAPES = dict(imagenet='32', cifar100='32', fmnist='28')
EPOCHS = 4  # one per stage

# After helpers.tiny_pwkd (whose train_cfg and default_hooks these
# replace): validate and keep a checkpoint at the end only.
TINY_RUN = f"""
train_cfg = dict(max_epochs={EPOCHS}, val_interval={EPOCHS})
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval={EPOCHS}, max_keep_ckpts=1))
"""

# Our synthetic folder of 32x32 RGB images stands in for ImageNet and
# CIFAR-100. num_workers stays above 0 as in those configs (one worker, to
# be light), so the loader options the configs leave to the tools are
# exercised as they are.
IMAGE_DATA = """
_dataset = dict(
    _delete_=True, type='CustomDataset', data_root={root!r}, indices=8,
    pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')])
train_dataloader = dict(batch_size=4, num_workers=1, dataset=_dataset)
val_dataloader = dict(batch_size=8, num_workers=1, dataset=_dataset)
test_dataloader = val_dataloader
"""
FMNIST_DATA = """
train_dataloader = dict(
    batch_size=4, dataset=dict(data_root={root!r}, per_class=1))
val_dataloader = dict(dataset=dict(data_root={root!r}))
test_dataloader = dict(dataset=dict(data_root={root!r}))
"""


def tiny_config(family: str, folder: Path, image_folder: Path,
                fake_fashion_mnist: Path) -> Path:
    """A config that inherits the family's distillation config."""
    if family == 'fmnist':
        data = FMNIST_DATA.format(root=str(fake_fashion_mnist))
    else:
        data = IMAGE_DATA.format(root=str(image_folder))
    base = REPO / FAMILIES[family]['distill']
    path = folder / f'tiny_{family}.py'
    path.write_text(tiny_pwkd(str(base)) + TINY_RUN + data)
    return path
