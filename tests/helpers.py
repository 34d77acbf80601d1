"""Model configs and batches shared by the tests."""
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmpretrain.structures import DataSample
from torch import Tensor


def resnet_classifier(depth: int = 18,
                      base: int = 8,
                      num_classes: int = 5,
                      slimmable: bool = False,
                      **extra) -> dict:
    """An mmpretrain ResNet classifier config: ``base`` stem and base
    channels, the last stage's output, GAP and a linear head.

    Args:
        depth (int): ResNet depth. Defaults to 18.
        base (int): Stem and base channels (the head gets ``base * 8``).
            Defaults to 8.
        num_classes (int): Classes of the head. Defaults to 5.
        slimmable (bool): A ``SlimmableClassifier`` (predicting at its
            active width only unless ``eval_all_widths`` is given) instead
            of an ``ImageClassifier``. Defaults to False.
        **extra: Further keys of the classifier config (``widths`` ...).

    Returns:
        dict: The config.
    """
    cfg = dict(
        type='SlimmableClassifier' if slimmable else 'ImageClassifier',
        backbone=dict(
            type='ResNet',
            depth=depth,
            stem_channels=base,
            base_channels=base,
            out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=base * 8,
            loss=dict(type='CrossEntropyLoss')))
    if slimmable:
        cfg['eval_all_widths'] = False
    cfg.update(extra)
    return cfg


def labelled_batch(n: int = 4,
                   num_classes: int = 5,
                   size: int = 32) -> Tuple[Tensor, List[DataSample]]:
    """``n`` random RGB images (seeded) with labels ``i % num_classes``."""
    torch.manual_seed(0)
    inputs = torch.randn(n, 3, size, size)
    samples = [
        DataSample().set_gt_label(i % num_classes) for i in range(n)
    ]
    return inputs, samples


TINY_WIDTHS = (0.25, 0.5, 0.75, 1.0)


def tiny_pwkd(base: str,
              data_root: Optional[Path] = None,
              stage_epochs: Sequence[int] = (1, 1, 1, 1),
              images: int = 16,
              batch: int = 4,
              val_batch: Optional[int] = None,
              narrow: bool = False) -> str:
    """The text of a config that runs the PWKD config ``base`` tiny on CPU.

    A random teacher, one stage of :data:`TINY_WIDTHS` per entry of
    ``stage_epochs`` (their lengths in epochs), logging every iteration,
    seeded and deterministic.

    Args:
        base (str): Path of the PWKD config to inherit.
        data_root (Path, optional): A folder of synthetic images; without
            it the caller states the data. Defaults to None.
        stage_epochs (Sequence[int]): Epochs of each stage.
            Defaults to one each.
        images (int): Images of the folder to train on. Defaults to 16.
        batch (int): Training batch size. Defaults to 4.
        val_batch (int, optional): Validate on the same images in batches
            of this size; None validates nothing. Defaults to None.
        narrow (bool): ResNets with 8 stem and base channels (the
            ImageNet ResNet34/18 of ``configs/pwkd``). Defaults to False.

    Returns:
        str: The config file's text.
    """
    widths = TINY_WIDTHS[-len(stage_epochs):]
    lines = [f'_base_ = [{str(base)!r}]']
    if narrow:
        lines.append(
            'narrow = dict(stem_channels=8, base_channels=8)\n'
            'model = dict(\n'
            '    student=dict(backbone=narrow, head=dict(in_channels=64)),\n'
            '    teacher=dict(backbone=narrow, head=dict(in_channels=64)),\n'
            '    teacher_ckpt=None, allow_untrained_teacher=True)')
    else:
        lines.append(
            'model = dict(teacher_ckpt=None, allow_untrained_teacher=True)')
    if data_root is not None:
        lines.append(
            'dataset = dict(\n'
            "    _delete_=True, type='CustomDataset',\n"
            f'    data_root={str(data_root)!r}, indices={images},\n'
            "    pipeline=[dict(type='LoadImageFromFile'), "
            "dict(type='PackInputs')])\n"
            f'train_dataloader = dict(batch_size={batch}, num_workers=0,\n'
            '    persistent_workers=False, dataset=dataset)\n'
            'test_dataloader = test_cfg = test_evaluator = None')
        lines.append(
            'val_dataloader = val_cfg = val_evaluator = None'
            if val_batch is None else
            f'val_dataloader = dict(batch_size={val_batch}, num_workers=0,\n'
            '    persistent_workers=False, dataset=dataset)')
    stages = [dict(width=w, epochs=e) for w, e in zip(widths, stage_epochs)]
    lines.append(
        f'custom_hooks = [dict(type=\'PWKDStageHook\', stages={stages!r})]\n'
        f'train_cfg = dict(max_epochs={sum(stage_epochs)})\n'
        'default_hooks = dict(logger=dict(interval=1))\n'
        'randomness = dict(seed=0, deterministic=True)')
    return '\n'.join(lines) + '\n'


def tiny_pwkd_cfg(base: str, data_root: Path, work_dir: Path,
                  **kwargs) -> Config:
    """:func:`tiny_pwkd` as a :class:`Config` training into ``work_dir``
    in this process. The file is ``tiny_pwkd.py`` beside ``work_dir``, so
    runs in one test share a config name, as a resume needs."""
    path = Path(work_dir).parent / 'tiny_pwkd.py'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tiny_pwkd(base, data_root, **kwargs))
    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    return cfg
