"""configs/pwkd/r34_r18_in1k.py end to end on tiny synthetic data."""
from pathlib import Path
from typing import List, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO

STAGE_WIDTHS = (0.25, 0.5, 0.75, 1.0)


def tiny_cfg(config: str, data_root: Path, work_dir: Path) -> Config:
    """The config with 8 synthetic 32x32 images, batch 4, 1 epoch a stage
    (2 iterations), and a randomly initialised teacher."""
    cfg = Config.fromfile(str(REPO / config))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    dataset = dict(
        type='CustomDataset',
        data_root=str(data_root),
        indices=8,
        pipeline=pipeline)
    loader = dict(
        batch_size=4,
        num_workers=0,
        persistent_workers=False,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dataset)
    cfg.train_dataloader = loader
    cfg.val_dataloader = dict(
        loader, sampler=dict(type='DefaultSampler', shuffle=False))
    cfg.test_dataloader = cfg.val_dataloader
    cfg.model.teacher_ckpt = None
    cfg.work_dir = str(work_dir)
    cfg.train_cfg.max_epochs = len(STAGE_WIDTHS)
    if cfg.get('custom_hooks'):
        cfg.custom_hooks[0].stages = [
            dict(width=w, epochs=1) for w in STAGE_WIDTHS
        ]
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.launcher = 'none'
    return cfg


def _record_teacher_channels(runner: Runner) -> List[Tuple[int, int]]:
    """(iteration, channels of the teacher's last stage) per teacher run."""
    seen: List[Tuple[int, int]] = []
    teacher = runner.model.teacher

    def hook(module, inputs, output):
        if runner.model.training:
            seen.append((runner.iter, output.shape[1]))

    teacher.backbone.layer4.register_forward_hook(hook)
    return seen


def test_pwkd_config_runs_all_stages(tmp_path, image_folder):
    cfg = tiny_cfg('configs/pwkd/r34_r18_in1k.py', image_folder, tmp_path)
    runner = Runner.from_cfg(cfg)
    teacher_before = {
        k: v.clone()
        for k, v in runner.model.teacher.state_dict().items()
    }
    seen = _record_teacher_channels(runner)
    runner.train()

    expected = [(it, int(512 * STAGE_WIDTHS[it // 2])) for it in range(8)]
    assert seen == expected
    teacher_after = runner.model.teacher.state_dict()
    for key, value in teacher_before.items():
        assert torch.equal(value, teacher_after[key]), key
    lrs = runner.message_hub.get_scalar('train/lr').data[0]
    # One cosine period per stage: every stage starts at the base LR.
    assert [lrs[i] for i in (0, 2, 4, 6)] == pytest.approx([0.1] * 4)
    assert all(lrs[i + 1] < lrs[i] for i in (0, 2, 4, 6))


def test_kd_config_is_one_stage_at_full_width(tmp_path, image_folder):
    cfg = tiny_cfg('configs/kd/kd_resnet34_resnet18_8xb32_in1k.py',
                   image_folder, tmp_path)
    cfg.train_cfg.max_epochs = 1
    runner = Runner.from_cfg(cfg)
    seen = _record_teacher_channels(runner)
    runner.train()
    assert seen == [(0, 512), (1, 512)]


def _mid_stage2_cfg(data_root: Path, work_dir: Path) -> Config:
    """Stages of 1, 2, 1, 1 epochs: after epoch 2 the run is in stage 2."""
    cfg = tiny_cfg('configs/pwkd/r34_r18_in1k.py', data_root, work_dir)
    epochs = (1, 2, 1, 1)
    cfg.custom_hooks[0].stages = [
        dict(width=w, epochs=e) for w, e in zip(STAGE_WIDTHS, epochs)
    ]
    cfg.train_cfg.max_epochs = sum(epochs)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    return cfg


def test_resume_mid_stage2_restores_stage_width_and_lr(tmp_path,
                                                       image_folder):
    full = Runner.from_cfg(_mid_stage2_cfg(image_folder, tmp_path / 'full'))
    full_seen = _record_teacher_channels(full)
    full.train()
    full_lr = full.message_hub.get_scalar('train/lr').data[0]

    cfg = _mid_stage2_cfg(image_folder, tmp_path / 'resumed')
    cfg.resume, cfg.load_from = True, str(tmp_path / 'full' / 'epoch_2.pth')
    resumed = Runner.from_cfg(cfg)
    resumed_seen = _record_teacher_channels(resumed)
    resumed.train()
    resumed_lr = resumed.message_hub.get_scalar('train/lr').data[0]

    assert resumed_seen[0] == (4, 256)  # stage 2, width 0.5
    assert resumed_seen == full_seen[4:]
    assert list(resumed_lr[-len(resumed_seen):]) == list(full_lr[4:])
    final_full = full.model.student.state_dict()
    for key, value in resumed.model.student.state_dict().items():
        assert torch.equal(value, final_full[key]), key
