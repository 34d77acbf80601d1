"""Stages that name teacher checkpoints (route-constrained distillation):
the teacher has each stage's weights for exactly that stage, a resume
reloads the stage it stops in, and bad checkpoints are named."""
import copy
from pathlib import Path
from typing import Dict, List, Tuple

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmpwkd.registry import HOOKS, MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO
from helpers import tiny_pwkd_cfg

KD = str(REPO / 'configs' / 'kd' / 'kd_resnet34_resnet18_8xb32_in1k.py')
PROBE = 'head.fc.weight'


class _TeacherProbe(Hook):
    """The teacher's classifier weight at every training iteration, and
    whether the teacher the distiller runs (its copy at the stage's width)
    computes what the teacher with those weights computes."""

    priority = 'NORMAL'  # after PWKDStageHook (HIGH) entered the stage

    def __init__(self) -> None:
        self.seen: List[Tuple[int, torch.Tensor]] = []
        self.computed: List[bool] = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        model = runner.model
        weight = model.teacher.state_dict()[PROBE]
        self.seen.append((runner.iter, weight.clone()))
        images = torch.randn(2, 3, 16, 16, generator=torch.Generator(
        ).manual_seed(0))
        with torch.no_grad():
            for _ in range(2):  # the first forward of a width makes the copy
                run, _ = model._outputs('teacher', images)
            self.computed.append(torch.equal(
                run['logits'], model.teacher(images, mode='tensor')))


def _route_checkpoints(cfg: Config, folder: Path) -> Dict[str, Path]:
    """Two teacher checkpoints with different weights, as two points of a
    teacher's training would have."""
    register_all_modules()
    teacher = MODELS.build(cfg.model.teacher)
    paths = {}
    for name, seed in (('early', 1), ('late', 2)):
        torch.manual_seed(seed)
        state = {k: v + 0.1 * torch.randn_like(v)
                 if v.is_floating_point() and 'running_' not in k else v
                 for k, v in teacher.state_dict().items()}
        paths[name] = folder / f'{name}.pth'
        torch.save(dict(state_dict=state), paths[name])
    return paths


def _cfg(data_root: Path, work_dir: Path, stages: List[dict],
         teacher_ckpt: Path) -> Config:
    cfg = tiny_pwkd_cfg(KD, data_root, work_dir, images=8,
                        stage_epochs=(1, 1), narrow=True)
    cfg.model.teacher_ckpt = str(teacher_ckpt)
    cfg.custom_hooks = [dict(type='PWKDStageHook', stages=stages)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    return cfg


@pytest.fixture
def route(tmp_path, image_folder):
    base = tiny_pwkd_cfg(KD, image_folder, tmp_path, images=8,
                         stage_epochs=(1, 1), narrow=True)
    paths = _route_checkpoints(base, tmp_path)
    stages = [dict(checkpoint=str(paths['early']), epochs=1),
              dict(checkpoint=str(paths['late']), epochs=1)]
    weights = {name: torch.load(path)['state_dict'][PROBE]
               for name, path in paths.items()}
    return stages, paths, weights


def test_each_stage_distils_from_its_checkpoint(tmp_path, image_folder,
                                                route):
    stages, paths, weights = route
    runner = Runner.from_cfg(
        _cfg(image_folder, tmp_path / 'run', stages, paths['late']))
    probe = _TeacherProbe()
    runner.register_hook(probe)
    runner.train()
    # 8 images in batches of 4: iterations 0-1 in stage 1, 2-3 in stage 2.
    assert [it for it, _ in probe.seen] == [0, 1, 2, 3]
    assert probe.computed == [True] * 4
    for iteration, weight in probe.seen:
        expected = weights['early' if iteration < 2 else 'late']
        assert torch.equal(weight, expected), iteration
    log = next((tmp_path / 'run').glob('*/*.log')).read_text()
    assert f'PWKD stage 1/2: teacher checkpoint {paths["early"]}' in log
    assert f'PWKD stage 2/2: teacher checkpoint {paths["late"]}' in log
    saved = torch.load(tmp_path / 'run' / 'epoch_2.pth',
                       weights_only=False)['meta']['pwkd_stages']
    assert saved['checkpoints'] == [str(paths['early']), str(paths['late'])]


def test_a_resume_reloads_the_stage_it_stops_in(tmp_path, image_folder,
                                                route):
    stages, paths, weights = route
    cfg = _cfg(image_folder, tmp_path / 'run', stages, paths['late'])
    Runner.from_cfg(copy.deepcopy(cfg)).train()
    # Resume after epoch 1: the checkpoint holds the teacher of stage 1,
    # the hook must give it stage 2's weights.
    cfg.resume, cfg.load_from = True, str(tmp_path / 'run' / 'epoch_1.pth')
    runner = Runner.from_cfg(cfg)
    probe = _TeacherProbe()
    runner.register_hook(probe)
    runner.train()
    assert [it for it, _ in probe.seen] == [2, 3]
    assert probe.computed == [True] * 2
    assert all(torch.equal(w, weights['late']) for _, w in probe.seen)


def test_a_missing_checkpoint_is_named_at_build(route):
    stages, _, _ = route
    stages[1]['checkpoint'] = '/nowhere/epoch_9.pth'
    with pytest.raises(ValueError) as info:
        HOOKS.build(dict(type='PWKDStageHook', stages=stages))
    assert str(info.value) == ("PWKDStageHook: stages[1].checkpoint="
                               "'/nowhere/epoch_9.pth': no such file")


def test_a_broken_checkpoint_is_named_at_its_stage(tmp_path, image_folder,
                                                   route):
    stages, paths, _ = route
    state = torch.load(paths['late'])['state_dict']
    state[PROBE] = torch.full_like(state[PROBE], float('nan'))
    broken = tmp_path / 'broken.pth'
    torch.save(dict(state_dict=state), broken)
    stages[1]['checkpoint'] = str(broken)
    runner = Runner.from_cfg(
        _cfg(image_folder, tmp_path / 'run', stages, paths['late']))
    with pytest.raises(ValueError, match=r'stages\[1\]\.checkpoint: .*NaN'):
        runner.train()
    assert runner.iter == 2  # stage 1 trained; stage 2 never started


@pytest.mark.parametrize('stages, match', [
    ([dict(checkpoint='a.pth', epochs=1), dict(width=1.0, epochs=1)],
     'same key'),
    ([dict(checkpoint='', epochs=1)], 'must be a checkpoint path'),
    ([dict(checkpoint='a.pth', width=1.0, epochs=1)], 'same key'),
])
def test_malformed_checkpoint_stages_are_refused(stages, match):
    with pytest.raises(ValueError, match=match):
        HOOKS.build(dict(type='PWKDStageHook', stages=stages))


def test_gradual_needs_widths(route):
    stages, _, _ = route
    with pytest.raises(ValueError, match='checkpoint stages have none'):
        HOOKS.build(dict(type='PWKDStageHook', stages=stages, gradual=True))
