"""MixedPrecisionOptimWrapper: bfloat16 without a GradScaler (on the CPU
here), float16 with mmengine's."""
from unittest.mock import patch

import pytest
import torch
from mmengine.optim import AmpOptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope
from torch import nn

from mmpwkd.engine import MixedPrecisionOptimWrapper
from mmpwkd.utils import register_all_modules

register_all_modules()

SGD = dict(type='SGD', lr=0.1, momentum=0.9)


def model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def build(net: nn.Module, **cfg) -> MixedPrecisionOptimWrapper:
    """Through the registry, as mmengine's Runner builds it from a config
    under our default scope."""
    with DefaultScope.overwrite_default_scope('mmpwkd'):
        return build_optim_wrapper(
            net, dict(type='MixedPrecisionOptimWrapper', optimizer=SGD,
                      **cfg))


def train_step(net: nn.Module, wrapper: MixedPrecisionOptimWrapper) -> dict:
    inputs = torch.randn(4, 8)
    with wrapper.optim_context(net):
        logits = net(inputs)
    loss = logits.float().square().mean()
    wrapper.update_params(loss)
    return dict(logits_dtype=logits.dtype)


def test_bf16_builds_without_a_scaler() -> None:
    wrapper = build(model(), dtype='bfloat16')
    assert isinstance(wrapper, MixedPrecisionOptimWrapper)
    assert wrapper.loss_scaler is None
    assert wrapper.cast_dtype is torch.bfloat16


def test_bf16_step_autocasts_updates_and_never_scales() -> None:
    net = model()
    wrapper = build(net, dtype=torch.bfloat16)
    before = [p.detach().clone() for p in net.parameters()]
    # Reading a tensor on the host (.item()) is what a GradScaler's inf
    # check costs each step on a GPU; neither may happen.
    with patch.object(torch.amp.GradScaler, 'scale') as scale, \
            patch.object(torch.Tensor, 'item') as item:
        found = train_step(net, wrapper)
    scale.assert_not_called()
    item.assert_not_called()
    assert found['logits_dtype'] is torch.bfloat16
    assert all(not torch.equal(old, new)
               for old, new in zip(before, net.parameters()))


def test_bf16_clips_gradients_without_unscaling() -> None:
    """The first SGD step moves the weights by lr x the clipped gradient."""
    net = model()
    wrapper = build(net, dtype='bfloat16', clip_grad=dict(max_norm=1e-3))
    before = torch.cat([p.detach().flatten() for p in net.parameters()])
    train_step(net, wrapper)
    after = torch.cat([p.detach().flatten() for p in net.parameters()])
    moved = (after - before).norm().item()
    assert 0 < moved <= SGD['lr'] * 1e-3 * 1.01


def test_bf16_state_dict_round_trips_for_resume() -> None:
    net = model()
    wrapper = build(net, dtype='bfloat16')
    for _ in range(2):
        train_step(net, wrapper)
    state = wrapper.state_dict()
    assert 'loss_scaler' not in state
    assert state['state'], 'SGD momentum buffers expected'
    resumed = build(model(), dtype='bfloat16')
    resumed.load_state_dict(state)
    got = resumed.state_dict()
    assert got['param_groups'] == state['param_groups']
    for key, buffers in state['state'].items():
        assert torch.equal(got['state'][key]['momentum_buffer'],
                           buffers['momentum_buffer'])


def test_bf16_resumes_from_a_checkpoint_with_a_loss_scale() -> None:
    """A run that used mmengine's AmpOptimWrapper saved its scale."""
    net = model()
    state = build(net, dtype='bfloat16').state_dict()
    state['loss_scaler'] = dict(scale=65536.0, growth_factor=2.0)
    resumed = build(net, dtype='bfloat16')
    resumed.load_state_dict(state)
    assert resumed.loss_scaler is None
    assert 'loss_scaler' not in resumed.state_dict()


def test_fp16_without_a_gpu_says_what_to_set() -> None:
    with patch('mmpwkd.engine.optim_wrappers.mixed_precision_optim_wrapper'
               '.get_device', return_value='cpu'):
        for dtype in (None, 'float16'):
            with pytest.raises(ValueError, match="optim_wrapper.dtype="
                               "'bfloat16'"):
                build(model(), dtype=dtype)


def test_fp16_keeps_mmengines_scaler() -> None:
    """On a (pretended) GPU machine, float16 is AmpOptimWrapper's path."""
    amp = 'mmengine.optim.optimizer.amp_optimizer_wrapper'
    with patch('mmpwkd.engine.optim_wrappers.mixed_precision_optim_wrapper'
               '.get_device', return_value='cuda'), \
            patch(f'{amp}.is_cuda_available', return_value=True), \
            pytest.warns(UserWarning):  # GradScaler: CUDA is missing
        wrapper = build(model(), dtype='float16', loss_scale=512.0)
    assert isinstance(wrapper, AmpOptimWrapper)
    assert wrapper.loss_scaler is not None
    assert wrapper.cast_dtype is torch.float16
    assert 'loss_scaler' in wrapper.state_dict()


def test_unknown_dtype_is_named() -> None:
    with pytest.raises(ValueError, match="optim_wrapper.dtype .*'bf16'"):
        build(model(), dtype='bf16')
