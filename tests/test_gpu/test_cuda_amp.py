"""Mixed precision and channels-last on a CUDA GPU (``make test-gpu``).

Marked ``gpu``: the default run (``make test``, CI) deselects them, since
CI has no GPU; run them with ``python -m pytest -m gpu`` where one is.
"""
import copy

import pytest
import torch
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmpretrain.structures import DataSample

from conftest import REPO, python_tool, run_tool
from mmpwkd.engine.hooks.channels_last_hook import is_channels_last
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

pytestmark = pytest.mark.gpu

WIDTHS = (0.25, 0.5, 0.75, 1.0)
DTYPES = ('bfloat16', 'float16')


def classifier(arch: str, **kwargs) -> dict:
    return dict(
        backbone=dict(type='CIFARResNet', arch=arch),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=10,
            in_channels=64,
            loss=dict(type='CrossEntropyLoss')),
        **kwargs)


def slimmable_cfg() -> dict:
    return classifier(
        'resnet20',
        type='SlimmableClassifier',
        widths=WIDTHS,
        eval_all_widths=False)


def distiller() -> torch.nn.Module:
    register_all_modules()
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='PWKDDistiller',
            student=classifier('resnet8', type='ImageClassifier'),
            teacher=slimmable_cfg(),
            distill_losses=dict(
                loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9))))


def batch(size: int = 16) -> dict:
    generator = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (size, ), generator=generator)
    return dict(
        inputs=torch.randn(size, 3, 32, 32, generator=generator),
        data_samples=[DataSample().set_gt_label(int(y)) for y in labels])


def wrapper(model: torch.nn.Module, dtype: str) -> AmpOptimWrapper:
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    return AmpOptimWrapper(dtype=dtype, optimizer=optimizer)


def total(losses: dict) -> float:
    """The summed loss terms of a ``mode='loss'`` forward."""
    return sum(v.item() for k, v in losses.items() if 'loss' in k)


@pytest.mark.parametrize('channels_last', [False, True])
@pytest.mark.parametrize('dtype', DTYPES)
def test_distiller_trains_under_amp_at_every_width(dtype, channels_last):
    model = distiller().cuda()
    memory_format = (torch.channels_last
                     if channels_last else torch.contiguous_format)
    model.to(memory_format=memory_format)
    reference = copy.deepcopy(model)
    teacher_before = copy.deepcopy(model.teacher.state_dict())
    optim = wrapper(model, dtype)
    data = batch()
    for width in WIDTHS:
        model.set_teacher_width(width)
        reference.set_teacher_width(width)
        # The first mixed-precision loss matches full precision's.
        with torch.no_grad():
            full = total(reference(*reference.data_preprocessor(
                data, True).values(), mode='loss'))
        log = model.train_step(data, optim)
        assert all(torch.isfinite(v) for v in log.values())
        assert log['loss'].item() == pytest.approx(full, rel=0.05, abs=0.02)
        reference.load_state_dict(model.state_dict())
        if channels_last:
            assert is_channels_last(model.teacher)
    assert all(
        torch.equal(value, model.teacher.state_dict()[key])
        for key, value in teacher_before.items())
    moved = [
        not torch.equal(a.cpu(), b) for a, b in zip(
            model.student.parameters(), distiller().student.parameters())
    ]
    assert all(moved)


@pytest.mark.parametrize('dtype', DTYPES)
def test_slimmable_joint_step_under_amp(dtype):
    register_all_modules()
    torch.manual_seed(0)
    model = MODELS.build(slimmable_cfg()).cuda().to(
        memory_format=torch.channels_last)
    fp32 = copy.deepcopy(model)
    data = batch()
    log = model.train_step(data, wrapper(model, dtype))
    full = fp32.train_step(
        data,
        OptimWrapper(torch.optim.SGD(fp32.parameters(), lr=0.05)))
    assert set(log) == set(full)
    for key, value in log.items():
        assert torch.isfinite(value)
        assert value.item() == pytest.approx(
            full[key].item(), rel=0.05, abs=0.02), key


def test_train_tool_pwkd_with_amp_and_channels_last(tmp_path,
                                                    fake_fashion_mnist):
    config = (REPO / 'configs' / 'benchmark' / 'fmnist' /
              'pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py')
    options = [
        f'{loader}.dataset.data_root={fake_fashion_mnist}'
        for loader in ('train_dataloader', 'val_dataloader',
                       'test_dataloader')
    ]
    options += [
        'model.teacher_ckpt=None', 'model.allow_untrained_teacher=True',
        'train_dataloader.batch_size=16',
        'val_dataloader.batch_size=16', 'train_cfg.max_epochs=4',
        'train_cfg.val_interval=1', 'train_dataloader.dataset.per_class=1'
    ]
    proc = run_tool(
        python_tool('tools/train.py', str(config), '--amp',
                    '--channels-last', '--work-dir', str(tmp_path),
                    '--cfg-options', *options),
        timeout=600)
    log = proc.stdout + proc.stderr
    assert 'MixedPrecisionOptimWrapper' in log
    assert 'ChannelsLastHook: model converted' in log
    checkpoint = torch.load(
        tmp_path / 'epoch_4.pth', map_location='cpu', weights_only=True)
    assert checkpoint['meta']['epoch'] == 4
    # fp16 by default: the dynamic loss scale is saved for resuming.
    assert 'loss_scaler' in checkpoint['optimizer']
    assert all(
        torch.isfinite(value).all()
        for key, value in checkpoint['state_dict'].items()
        if key.startswith('student.') and value.is_floating_point())
