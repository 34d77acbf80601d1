"""The teacher fast path: a slimmable teacher's width run as a plain net."""
from typing import List

import pytest
import torch
from mmengine.runner.checkpoint import \
    load_state_dict as mmengine_load_state_dict
from mmpretrain.structures import DataSample
from torch import nn

from mmpwkd.models.distillers.plain_teacher import (materialise_width,
                                                     record_input_channels)
from mmpwkd.models.slimmable import SlimmableLayer
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

NUM_CLASSES = 5
WIDTHS = (0.25, 0.5, 0.75, 1.0)
RESNET_LAYER3 = 'backbone.layer3'
VGG_LAYER3 = 'backbone.features.10'  # the same 2x2 map at 32x32 inputs


def resnet(depth: int, base: int, slimmable: bool) -> dict:
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
            num_classes=NUM_CLASSES,
            in_channels=base * 8))
    if slimmable:
        cfg.update(widths=WIDTHS, eval_all_widths=False)
    return cfg


def vgg_teacher() -> dict:
    """VGG has no width knobs: its channels per width follow the rule."""
    return dict(
        type='SlimmableClassifier',
        backbone=dict(type='VGG', depth=11, num_classes=-1, out_indices=(4, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=512),
        widths=WIDTHS,
        eval_all_widths=False)


def distiller(teacher: dict, teacher_source: str = RESNET_LAYER3, **kwargs):
    losses = dict(
        loss_kd=dict(type='KDLoss', tau=4),
        loss_at=dict(
            type='ATLoss', student=RESNET_LAYER3, teacher=teacher_source))
    cfg = dict(
        type='PWKDDistiller',
        student=resnet(18, 8, slimmable=False),
        teacher=teacher,
        distill_losses=losses)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def fast_and_sliced(teacher: dict, teacher_source: str = RESNET_LAYER3):
    fast = distiller(teacher, teacher_source)
    sliced = distiller(teacher, teacher_source, teacher_fast_path=False)
    sliced.load_state_dict(fast.state_dict())
    return fast, sliced


def batch(n: int = 2):
    torch.manual_seed(0)
    inputs = torch.randn(n, 3, 32, 32)
    samples = [DataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)]
    return inputs, samples


def run_teacher(model, inputs):
    with torch.no_grad():
        return model._run('teacher', inputs)


@pytest.mark.parametrize(
    'teacher, source',
    [(resnet(34, 16, True), RESNET_LAYER3), (vgg_teacher(), VGG_LAYER3)],
    ids=['resnet', 'vgg'])
def test_fast_path_gives_the_sliced_teacher_outputs(teacher, source):
    fast, sliced = fast_and_sliced(teacher, source)
    inputs, _ = batch()
    for width in WIDTHS:
        fast.set_teacher_width(width)
        sliced.set_teacher_width(width)
        expected = run_teacher(sliced, inputs)
        # The first forward at a width builds the copy, the second uses it.
        for _ in range(2):
            got = run_teacher(fast, inputs)
            assert set(got) == set(expected)
            for key, value in expected.items():
                torch.testing.assert_close(
                    got[key], value, atol=1e-5, rtol=1e-5)
        net = fast._plain_teacher.net
        assert not any(
            isinstance(module, SlimmableLayer) for module in net.modules())


def test_copy_is_narrow_contiguous_frozen_and_outside_the_tree():
    model = distiller(resnet(34, 16, True))
    model.train()
    keys = set(model.state_dict())
    params = list(model.parameters())
    model.set_teacher_width(0.25)
    run_teacher(model, batch()[0])

    net = model._plain_teacher.net
    conv = net.backbone.layer4[-1].conv2
    assert type(conv) is nn.Conv2d
    assert conv.weight.shape == (32, 32, 3, 3)
    assert conv.weight.is_contiguous()
    assert type(net.backbone.layer4[-1].bn2) is nn.BatchNorm2d
    assert not net.training
    assert not any(p.requires_grad for p in net.parameters())
    assert set(model.state_dict()) == keys
    assert list(model.parameters()) == params
    assert not any(module is net for module in model.modules())


def test_hooks_on_teacher_modules_see_the_module_that_runs():
    model = distiller(resnet(34, 16, True))
    seen: List[tuple] = []
    model.teacher.backbone.layer4.register_forward_hook(
        lambda module, args, out: seen.append(('layer4', out.shape[1])))
    model.teacher.backbone.conv1.register_forward_hook(
        lambda module, args, out: seen.append(type(module)))
    inputs, _ = batch()
    for width in (0.25, 0.5):
        model.set_teacher_width(width)
        for _ in range(2):
            run_teacher(model, inputs)
    built = type(model.teacher.backbone.conv1)
    assert seen == [built, ('layer4', 32), nn.Conv2d, ('layer4', 32),
                    built, ('layer4', 64), nn.Conv2d, ('layer4', 64)]


def test_copy_is_rebuilt_when_teacher_tensors_change():
    fast, sliced = fast_and_sliced(resnet(34, 16, True))
    inputs, _ = batch()
    fast.set_teacher_width(0.5)
    sliced.set_teacher_width(0.5)
    run_teacher(fast, inputs)
    with torch.no_grad():
        for param in sliced.teacher.parameters():
            param.mul_(1.5)
    fast.teacher.load_state_dict(sliced.teacher.state_dict())
    torch.testing.assert_close(
        run_teacher(fast, inputs)['logits'],
        run_teacher(sliced, inputs)['logits'],
        atol=1e-5,
        rtol=1e-5)


def test_copy_is_rebuilt_after_a_move_or_an_mmengine_load():
    fast, sliced = fast_and_sliced(resnet(34, 16, True))
    inputs, _ = batch()
    fast.set_teacher_width(0.5)
    sliced.set_teacher_width(0.5)
    run_teacher(fast, inputs)
    built = fast._plain_teacher.net
    fast.double()
    doubled = run_teacher(fast, inputs.double())['logits']
    assert doubled.dtype == torch.float64
    assert fast._plain_teacher.net is not built
    fast.float()
    with torch.no_grad():
        for param in sliced.teacher.parameters():
            param.mul_(0.5)
    mmengine_load_state_dict(fast.teacher, sliced.teacher.state_dict())
    torch.testing.assert_close(
        run_teacher(fast, inputs)['logits'],
        run_teacher(sliced, inputs)['logits'],
        atol=1e-5,
        rtol=1e-5)


def test_copy_keeps_a_channels_last_teacher_channels_last():
    model = distiller(resnet(34, 16, True)).to(
        memory_format=torch.channels_last)
    model.set_teacher_width(0.5)
    run_teacher(model, batch()[0])
    conv = model._plain_teacher.net.backbone.layer4[-1].conv2
    assert conv.weight.shape == (64, 64, 3, 3)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()


def test_sliced_path_runs_the_slimmable_teacher():
    model = distiller(resnet(34, 16, True), teacher_fast_path=False)
    ran = []
    model.teacher.backbone.conv1.register_forward_hook(
        lambda module, args, out: ran.append(module))
    model.set_teacher_width(0.25)
    inputs, _ = batch()
    for _ in range(2):
        run_teacher(model, inputs)
    assert ran == [model.teacher.backbone.conv1] * 2
    assert model._plain_teacher is None


def test_training_step_leaves_the_teacher_frozen():
    model = distiller(resnet(34, 16, True))
    model.set_teacher_width(0.5)
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs, samples = batch(4)
    for _ in range(2):
        losses = model.loss(inputs, samples)
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    assert all(p.grad is None for p in model.teacher.parameters())
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_record_input_channels_and_materialise_a_bare_slimmable_net():
    teacher = MODELS.build(resnet(18, 8, True)).eval()
    teacher.set_width(0.5)
    inputs, _ = batch()
    with torch.no_grad(), record_input_channels(teacher) as channels:
        expected = teacher.head(teacher.extract_feat(inputs))
    assert channels['backbone.conv1'] == 3
    assert channels['backbone.layer2.0.conv1'] == 4
    assert channels['head.fc'] == 32
    net = materialise_width(teacher, channels)
    with torch.no_grad():
        torch.testing.assert_close(net.head(net.extract_feat(inputs)),
                                   expected)


def test_bad_teacher_fast_path():
    with pytest.raises(ValueError, match='teacher_fast_path must be a bool'):
        distiller(resnet(34, 16, True), teacher_fast_path='yes')
