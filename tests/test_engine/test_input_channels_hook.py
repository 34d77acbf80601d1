"""InputChannelsHook: images whose channels a model does not take stop
training at the first batch, naming the convolution and both counts."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.structures import DataSample
from torch import nn

from mmpwkd.safety.hooks import InputChannelsHook
from mmpwkd.safety.hooks.input_channels_hook import classifiers
from mmpwkd.registry import HOOKS, MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO

register_all_modules()


def classifier(in_channels: int = 3, slimmable: bool = False) -> dict:
    cfg = dict(
        type='SlimmableClassifier' if slimmable else 'ImageClassifier',
        backbone=dict(
            type='ResNet_CIFAR',
            depth=18,
            in_channels=in_channels,
            stem_channels=8,
            base_channels=8,
            num_stages=1,
            strides=(1, ),
            dilations=(1, ),
            out_indices=(0, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=3,
            in_channels=8,
            loss=dict(type='CrossEntropyLoss')))
    if slimmable:
        cfg.update(widths=(0.5, 1.0), eval_all_widths=False)
    return cfg


def batch(channels: int):
    inputs = torch.randn(2, channels, 8, 8)
    return inputs, [DataSample().set_gt_label(i) for i in range(2)]


def armed(model: nn.Module) -> InputChannelsHook:
    hook = HOOKS.build(dict(type='InputChannelsHook'))
    assert isinstance(hook, InputChannelsHook)
    hook.before_train(SimpleNamespace(model=model))
    return hook


def pre_hooks(model: nn.Module) -> int:
    return sum(len(m._forward_pre_hooks) for m in model.modules())


def test_finds_the_classifiers_of_a_model():
    plain = MODELS.build(classifier())
    assert classifiers(plain) == {'model': plain}
    distiller = MODELS.build(
        dict(type='PWKDDistiller', student=classifier(),
             teacher=classifier()))
    assert classifiers(distiller) == {
        'model.student': distiller.student,
        'model.teacher': distiller.teacher
    }


def test_rgb_images_into_a_grayscale_classifier():
    model = MODELS.build(classifier(in_channels=1))
    armed(model)
    with pytest.raises(ValueError) as info:
        model(*batch(3), mode='loss')
    message = str(info.value)
    assert message.startswith('model.backbone.conv1 takes in_channels=1, '
                              'but the training images have 3 channels')
    assert 'data_preprocessor' in message and 'to_rgb' in message
    assert pre_hooks(model) == 0


def test_grayscale_images_into_a_slimmable_rgb_teacher():
    """A slimmable first convolution would silently read one channel of
    its three: the check is what stops it."""
    model = MODELS.build(
        dict(
            type='PWKDDistiller',
            student=classifier(in_channels=1),
            teacher=classifier(in_channels=3, slimmable=True)))
    model.set_teacher_width(0.5)
    armed(model)
    with pytest.raises(ValueError, match=r'^model\.teacher\.backbone\.conv1 '
                       'takes in_channels=3, but the training images have '
                       r'1 channels \(batch \(2, 1, 8, 8\)'):
        model(*batch(1), mode='loss')


def test_matching_images_pass_once_and_leave_no_hooks():
    """The first forward removes the checks: later iterations run none of
    the hook's code."""
    model = MODELS.build(classifier(slimmable=True))
    before = pre_hooks(model)
    armed(model)
    assert pre_hooks(model) > before
    losses = model(*batch(3), mode='loss')
    assert torch.isfinite(losses['loss_w0.5'])
    assert pre_hooks(model) == before


def test_default_runtime_has_the_hook():
    cfg = Config.fromfile(REPO / 'configs' / '_base_' / 'default_runtime.py')
    assert cfg.default_hooks.input_channels == dict(type='InputChannelsHook')


def test_a_run_from_a_config_stops_at_the_first_batch(tmp_path,
                                                      image_folder):
    """The default runtime wires the hook: RGB images into a one-channel
    model stop ``runner.train()`` before any checkpoint."""
    cfg = Config.fromfile(REPO / 'tests' / 'data' / 'tiny_cls.py')
    cfg.work_dir = str(tmp_path)
    cfg.model.backbone.in_channels = 1
    cfg.model.data_preprocessor.update(mean=[127.5], std=[64.0])
    cfg.train_dataloader.dataset.data_root = str(image_folder)
    cfg.val_dataloader.dataset.data_root = str(image_folder)
    cfg.test_dataloader.dataset.data_root = str(image_folder)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ValueError, match=r'model\.backbone\.conv1 takes '
                       'in_channels=1, but the training images have 3'):
        runner.train()
    assert runner.iter == 0
    assert not list(tmp_path.glob('*.pth'))
