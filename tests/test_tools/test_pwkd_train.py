"""configs/pwkd/r34_r18_in1k.py end to end on tiny synthetic data."""
from pathlib import Path
from typing import List, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from conftest import REPO
from helpers import TINY_WIDTHS as STAGE_WIDTHS
from helpers import tiny_pwkd_cfg

PWKD = str(REPO / 'configs' / 'pwkd' / 'r34_r18_in1k.py')


def tiny_cfg(data_root: Path, work_dir: Path, **kwargs) -> Config:
    """The PWKD config on 8 synthetic 32x32 images in batches of 4, one
    epoch (2 iterations) a stage, a random teacher."""
    kwargs = dict(dict(images=8), **kwargs)
    return tiny_pwkd_cfg(PWKD, data_root, work_dir, **kwargs)


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
    cfg = tiny_cfg(image_folder, tmp_path, val_batch=4)
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
    cfg = tiny_pwkd_cfg(
        str(REPO / 'configs/kd/kd_resnet34_resnet18_8xb32_in1k.py'),
        image_folder, tmp_path, images=8, stage_epochs=(1, ))
    cfg.custom_hooks = None  # the KD config as it is
    runner = Runner.from_cfg(cfg)
    seen = _record_teacher_channels(runner)
    runner.train()
    assert seen == [(0, 512), (1, 512)]


def _run(cfg: Config) -> Tuple[Runner, List[Tuple[int, int]]]:
    """Train ``cfg``; the runner and the teacher's channels per iteration."""
    runner = Runner.from_cfg(cfg)
    seen = _record_teacher_channels(runner)
    runner.train()
    return runner, seen


def _resumed(data_root: Path, work_dir: Path, checkpoint: Path,
             **hook) -> Config:
    """The tiny config resumed from ``checkpoint`` in a run of 8 epochs."""
    cfg = tiny_cfg(data_root, work_dir)
    cfg.resume, cfg.load_from = True, str(checkpoint)
    cfg.train_cfg.max_epochs = 8
    cfg.custom_hooks[0].update(hook)
    return cfg


def _followed(runner: Runner, seen: List[Tuple[int, int]]) -> None:
    """Iterations 4-15 of 16 (2 an epoch) ran the new stages: width 0.5,
    0.75, 1.0 for 4 iterations each, the LR restarting at each, and the
    log shows the width the teacher ran at."""
    assert seen == [(it, int(512 * STAGE_WIDTHS[it // 4]))
                    for it in range(4, 16)]
    lrs = runner.message_hub.get_scalar('train/lr').data[0][-12:]
    assert [lrs[i] for i in (0, 4, 8)] == pytest.approx([0.1] * 3)
    assert all(lrs[i + 1] < lrs[i] for i in range(12) if i % 4 != 3)
    logged = runner.message_hub.get_scalar('train/teacher_width').data[0]
    assert list(logged[-12:]) == [STAGE_WIDTHS[it // 4]
                                  for it in range(4, 16)]


@pytest.mark.parametrize('stages', ['ratio', 'epochs'])
def test_a_longer_run_resumed_is_refused_or_followed(tmp_path, image_folder,
                                                     stages):
    """ratio stages resumed with max_epochs doubled, and 4x1 -> 4x2 epoch
    stages: refused naming both schedules; with allow_schedule_change the
    widths, the LR restarts and the logged width follow the new stages."""
    cfg = tiny_cfg(image_folder, tmp_path / 'first')
    new = [dict(width=w, ratio=1) for w in STAGE_WIDTHS]
    if stages == 'ratio':
        cfg.custom_hooks[0].stages = new
    else:
        new = [dict(width=w, epochs=2) for w in STAGE_WIDTHS]
    _run(cfg)
    checkpoint = tmp_path / 'first' / 'epoch_2.pth'
    refused = _resumed(image_folder, tmp_path / 'refused', checkpoint,
                       stages=new)
    old, longer = (8, 16) if stages == 'ratio' else (4, 8)  # iters, epochs
    with pytest.raises(ValueError, match=r'trained with stages .*'
                       f"'total': {old}}}, but the config gives .*"
                       f"'total': {longer}}}"):
        Runner.from_cfg(refused).train()
    _followed(*_run(_resumed(image_folder, tmp_path / 'allowed', checkpoint,
                             stages=new, allow_schedule_change=True)))


def test_a_resume_without_the_stage_hook_is_refused(tmp_path, image_folder):
    """Without PWKDStageHook the slimmable teacher would silently run at
    its last width while the log showed the checkpoint's."""
    _run(tiny_cfg(image_folder, tmp_path / 'first', stage_epochs=(1, 1)))
    cfg = tiny_cfg(image_folder, tmp_path / 'resumed', stage_epochs=(1, 1))
    cfg.custom_hooks = []
    cfg.param_scheduler = dict(type='ConstantLR', factor=1.0)
    cfg.resume, cfg.load_from = True, str(tmp_path / 'first' / 'epoch_1.pth')
    with pytest.raises(RuntimeError, match='no stage schedule sets its '
                       'width'):
        Runner.from_cfg(cfg).train()
