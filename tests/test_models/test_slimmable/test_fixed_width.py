"""fixed_width_copy: a frozen slimmable network at one width, as stock
layers that view its weights."""
import threading
from functools import partial

import pytest
import torch
from slimmable_testing import (build, classifier_cfg, fake_batch, randomize,
                               tiny_resnet_cfg)
from torch import nn

from mmpwkd.models.slimmable import SlimmableConv2d
from mmpwkd.models.slimmable.fixed_width import fixed_width_copy
from mmpwkd.models.slimmable.ops import SlimmableLayer

CFGS = {
    'resnet': tiny_resnet_cfg(widths=(0.25, 0.5, 1.0)),
    'mobilenet_v2': classifier_cfg(
        dict(type='MobileNetV2', widen_factor=0.5), 1280,
        widths=(0.25, 0.5, 1.0)),
}


def frozen(cfg: dict) -> nn.Module:
    model = build(cfg)
    randomize(model, seed=3)
    return model.eval().requires_grad_(False)


@pytest.mark.parametrize('name', list(CFGS))
@pytest.mark.parametrize('width', (0.25, 0.5, 1.0))
def test_the_copy_computes_what_the_width_computes(name, width):
    model = frozen(CFGS[name])
    inputs, _ = fake_batch(batch_size=3, size=32)
    model.set_width(width)
    with torch.no_grad():
        expected, fixed = fixed_width_copy(
            model, partial(model, inputs, mode='tensor'))
        # Depthwise convolutions stay depthwise at the narrow width.
        assert torch.equal(fixed.model(inputs, mode='tensor'), expected)
    layers = dict(fixed.model.named_modules())
    assert not any(isinstance(m, SlimmableLayer) for m in layers.values())
    assert set(fixed.model.state_dict()) == {
        key for key in model.state_dict() if '.narrow_bns.' not in key}


def test_the_copy_views_the_weights_until_they_move():
    model = frozen(tiny_resnet_cfg())
    model.set_width(0.5)
    inputs, _ = fake_batch(batch_size=2)
    with torch.no_grad():
        _, fixed = fixed_width_copy(model, partial(model, inputs,
                                                   mode='tensor'))
        # A load in place (load_state_dict) reaches the copy.
        for param in model.parameters():
            param.mul_(-0.5)
        assert torch.equal(fixed.model(inputs, mode='tensor'),
                           model(inputs, mode='tensor'))
    assert fixed.view.data_ptr() == fixed.layer.weight.data_ptr()
    # New tensors: the copy no longer shares them.
    state = {key: value.clone() for key, value in
             model.state_dict().items()}
    model.load_state_dict(state, assign=True)
    assert fixed.view.data_ptr() != fixed.layer.weight.data_ptr()
    _, fixed = fixed_width_copy(model, partial(model, inputs, mode='tensor'))
    model.double()
    assert fixed.view.data_ptr() != fixed.layer.weight.data_ptr()


class TwoWidths(nn.Module):
    """One convolution fed two input widths in one forward."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = SlimmableConv2d(4, 4, 1, channels_per_width={1.0: 4})

    def forward(self, x, mode='tensor'):
        return self.conv(x) + self.conv(x[:, :2]).sum()


def test_a_layer_fed_two_widths_has_no_fixed_copy():
    model = TwoWidths()
    result, fixed = fixed_width_copy(
        model, partial(model, torch.randn(1, 4, 3, 3)))
    assert fixed is None and result.shape == (1, 4, 3, 3)


def test_what_cannot_be_copied_keeps_the_slimmable_layers():
    model = frozen(tiny_resnet_cfg())
    model.lock = threading.Lock()  # e.g. a user's hook state
    inputs, _ = fake_batch(batch_size=1)
    with pytest.warns(UserWarning, match='cannot be copied'):
        result, fixed = fixed_width_copy(
            model, partial(model, inputs, mode='tensor'))
    assert fixed is None and result.shape == (1, 5)
