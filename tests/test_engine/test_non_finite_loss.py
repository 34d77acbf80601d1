"""NonFiniteLossHook: a NaN loss stops training before it reaches the
weights, naming the term and the iteration; the last checkpoint resumes."""
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Dict

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import EpochBasedTrainLoop, Runner
from mmpretrain.structures import DataSample
from torch import Tensor, nn
from torch.utils.data import DataLoader

from mmpwkd.safety.hooks import NonFiniteLossHook
from mmpwkd.registry import HOOKS, MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO

register_all_modules()

NUM_CLASSES = 4
NAN_AT = 5  # the iteration (1-based) whose distill loss turns NaN


def tiny_classifier() -> dict:
    return dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            stem_channels=4,
            base_channels=4,
            num_stages=1,
            strides=(1, ),
            dilations=(1, ),
            out_indices=(0, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=NUM_CLASSES,
            in_channels=4,
            loss=dict(type='CrossEntropyLoss')))


class NaNAtCall(nn.Module):
    """A loss that turns NaN at its ``at``-th call."""

    def __init__(self, loss: nn.Module, at: int) -> None:
        super().__init__()
        self.inner, self.at, self.calls = loss, at, 0

    def forward(self, *args) -> Tensor:
        self.calls += 1
        value = self.inner(*args)
        return value * float('nan') if self.calls == self.at else value


def distiller(nan_at: int = 0) -> nn.Module:
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='PWKDDistiller',
            student=tiny_classifier(),
            teacher=tiny_classifier(),
            allow_untrained_teacher=True))
    if nan_at:
        term = model.distill_terms['loss_kd']
        term.loss = NaNAtCall(term.loss, nan_at)
    return model


def loader() -> DataLoader:
    generator = torch.Generator().manual_seed(0)
    data = [
        dict(
            inputs=torch.rand(3, 8, 8, generator=generator) * 255,
            data_samples=DataSample().set_gt_label(i % NUM_CLASSES))
        for i in range(8)
    ]
    return DataLoader(data, batch_size=4, collate_fn=pseudo_collate)


def runner(work_dir: Path, model: nn.Module, name: str, **kwargs) -> Runner:
    return Runner(
        model=model,
        work_dir=str(work_dir),
        experiment_name=name,
        train_dataloader=loader(),
        train_cfg=dict(by_epoch=False, max_iters=6),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2,
                            by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='NonFiniteLossHook')],
        default_scope='mmpwkd',
        log_level='WARNING',
        **kwargs)


def parameters(model: nn.Module) -> Dict[str, Tensor]:
    return {k: v.detach().clone() for k, v in model.named_parameters()}


def test_nan_loss_stops_before_the_update_and_last_checkpoint_resumes(
        tmp_path):
    model = distiller(nan_at=NAN_AT)
    failing = runner(tmp_path, model, 'nan')
    with pytest.raises(FloatingPointError) as info:
        failing.train()
    message = str(info.value)
    last = str(tmp_path / 'iter_4.pth')
    assert f'iteration {NAN_AT}: distill.loss_kd=nan' in message
    assert 'student.loss' not in message  # finite terms are not blamed
    assert f'resume with --resume {last}' in message
    assert not (tmp_path / 'iter_6.pth').exists()
    # The NaN never reached the weights: they are still those of the
    # checkpoint of iteration 4, and finite.
    checkpoint = torch.load(last, weights_only=True)
    for key, value in parameters(model).items():
        assert torch.isfinite(value).all(), key
        assert torch.equal(value, checkpoint['state_dict'][key]), key

    resumed = runner(tmp_path, distiller(), 'resumed', resume=True,
                     load_from=last)
    resumed.train()
    assert resumed.iter == 6
    final = torch.load(tmp_path / 'iter_6.pth', weights_only=True)
    assert final['meta']['iter'] == 6
    assert all(torch.isfinite(v).all() for v in final['state_dict'].values()
               if v.is_floating_point())


def fake_runner(work_dir: Path, model: nn.Module) -> SimpleNamespace:
    return SimpleNamespace(
        model=model,
        iter=11,
        epoch=2,
        work_dir=str(work_dir),
        train_loop=EpochBasedTrainLoop.__new__(EpochBasedTrainLoop),
        logger=logging.getLogger('test'))


class Losses(nn.Module):

    def forward(self, outputs):
        return outputs


def test_checks_every_loss_term_and_only_during_training_iterations(
        tmp_path):
    hook = HOOKS.build(dict(type='NonFiniteLossHook'))
    assert isinstance(hook, NonFiniteLossHook)
    model = Losses()
    runner = fake_runner(tmp_path, model)
    hook.before_train(runner)
    bad = dict(
        loss_a=torch.tensor(1.0),
        loss_b=[torch.tensor(2.0), torch.tensor(float('inf'))],
        acc=torch.tensor(float('nan')))
    model(bad)  # outside a training iteration: validation, not checked
    hook.before_train_iter(runner, batch_idx=3)
    model(dict(loss=torch.tensor(0.5), acc=torch.tensor(float('nan'))))
    with pytest.raises(FloatingPointError) as info:
        model(bad)
    message = str(info.value)
    assert 'iteration 12 (epoch 3, batch 4): loss_b=[2, inf].' in message
    assert 'loss_a' not in message and 'acc' not in message
    assert f'no checkpoint was saved in {tmp_path} yet' in message
    assert not model._forward_hooks  # removed when it fired


def test_default_runtime_has_the_hook():
    cfg = Config.fromfile(REPO / 'configs' / '_base_' / 'default_runtime.py')
    assert cfg.default_hooks.non_finite_loss == dict(
        type='NonFiniteLossHook')
