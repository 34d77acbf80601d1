"""PreciseBNEvalHook scores with BN statistics re-estimated on training
data, and leaves training, checkpoints and random states as they were."""
from typing import Dict, List

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner
from torch.nn.modules.batchnorm import _BatchNorm

from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

from conftest import REPO

CONFIG = REPO / 'tests' / 'data' / 'tiny_cls.py'


def _bn_stats(model: torch.nn.Module) -> Dict[str, torch.Tensor]:
    return {
        name: buffer.clone()
        for name, buffer in model.named_buffers() if 'running_' in name
    }


class _Probe(Hook):
    """Records the BN statistics the evaluation really runs with."""

    priority = 'LOW'  # after PreciseBNEvalHook (BELOW_NORMAL)

    def __init__(self) -> None:
        self.seen: List[Dict[str, torch.Tensor]] = []

    def before_val_epoch(self, runner) -> None:
        self.seen.append(_bn_stats(runner.model))

    before_test_epoch = before_val_epoch


def _runner(tmp_path, data_root, hook: bool, name: str,
            **cfg_changes) -> Runner:
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = str(data_root)
    cfg.train_cfg.max_epochs = 2
    cfg.work_dir = str(tmp_path / name)
    cfg.custom_hooks = [dict(type='PreciseBNEvalHook')] if hook else []
    cfg.merge_from_dict(cfg_changes)
    return Runner.from_cfg(cfg)


def test_builds_from_the_registry_and_checks_arguments():
    hook = HOOKS.build(dict(type='PreciseBNEvalHook', num_samples=64))
    assert (hook.num_samples, hook.val, hook.test) == (64, True, True)
    with pytest.raises(ValueError, match='num_samples'):
        HOOKS.build(dict(type='PreciseBNEvalHook', num_samples=0))
    with pytest.raises(ValueError, match='test'):
        HOOKS.build(dict(type='PreciseBNEvalHook', test='yes'))


def test_training_and_checkpoints_are_the_same_as_without_it(
        tmp_path, image_folder):
    plain = _runner(tmp_path, image_folder, False, 'plain')
    plain.train()
    scored = _runner(tmp_path, image_folder, True, 'scored')
    probe = _Probe()
    scored.register_hook(probe)
    scored.train()
    # The hook ran before each of the two validations...
    assert len(probe.seen) == 2
    # ... and the run's weights, statistics and checkpoints are those of
    # the run without it (the re-estimation draws augmentations, so the
    # random states must be put back too).
    for (name, a), b in zip(plain.model.state_dict().items(),
                            scored.model.state_dict().values()):
        assert torch.equal(a, b), name
    for run in ('plain', 'scored'):
        assert (tmp_path / run / 'epoch_2.pth').exists()
    a = torch.load(tmp_path / 'plain' / 'epoch_2.pth', weights_only=False)
    b = torch.load(tmp_path / 'scored' / 'epoch_2.pth', weights_only=False)
    for name, tensor in a['state_dict'].items():
        assert torch.equal(tensor, b['state_dict'][name]), name


def test_validation_uses_statistics_of_the_weights_not_the_stale_ones(
        tmp_path, image_folder):
    runner = _runner(tmp_path, image_folder, True, 'run')
    probe = _Probe()
    runner.register_hook(probe)
    runner.train()
    stats = _bn_stats(runner.model)
    runner.val()
    precise = probe.seen[-1]
    # Stale statistics, as after an LR restart: the evaluation ignores them
    # (the re-estimate depends on the weights and data only) ...
    with torch.no_grad():
        for module in runner.model.modules():
            if isinstance(module, _BatchNorm):
                module.running_mean.add_(5.0)
                module.running_var.mul_(9.0)
    stale = _bn_stats(runner.model)
    runner.val()
    for name, tensor in probe.seen[-1].items():
        assert torch.allclose(tensor, precise[name]), name
        assert not torch.allclose(tensor, stale[name]), name
        assert not torch.equal(tensor, stats[name]), name
    # ... and leaves the model's own statistics as they were.
    for name, tensor in _bn_stats(runner.model).items():
        assert torch.equal(tensor, stale[name]), name


def test_a_checkpoint_is_tested_with_statistics_of_its_training_data(
        tmp_path, image_folder):
    trained = _runner(tmp_path, image_folder, False, 'trained')
    trained.train()
    saved = _bn_stats(trained.model)
    tester = _runner(
        tmp_path, image_folder, True, 'test',
        load_from=str(tmp_path / 'trained' / 'epoch_2.pth'))
    probe = _Probe()
    tester.register_hook(probe)
    tester.test()
    assert len(probe.seen) == 1
    for name, tensor in probe.seen[0].items():
        assert not torch.allclose(tensor, saved[name]), name
    for name, tensor in _bn_stats(tester.model).items():
        assert torch.equal(tensor, saved[name]), name


def test_testing_without_training_data_names_the_key(tmp_path,
                                                     image_folder):
    trained = _runner(tmp_path, image_folder, False, 'trained')
    trained.train()
    tester = _runner(
        tmp_path, image_folder, True, 'test',
        load_from=str(tmp_path / 'trained' / 'epoch_2.pth'))
    tester.cfg.train_dataloader = None
    with pytest.raises(ValueError, match='no train_dataloader'):
        tester.test()
