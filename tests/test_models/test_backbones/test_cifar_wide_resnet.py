import pytest
import torch
from backbone_checks import run_backbone

from mmpwkd.models.backbones import CIFARWideBasicBlock, CIFARWideResNet


def test_final_bn_relu_only_on_last_stage():
    model = CIFARWideResNet(16, 2, out_indices=(0, 1, 2))
    model.eval()

    first, _, last = model(torch.randn(2, 3, 32, 32))

    # Pre-activation stage outputs are raw sums; the last one is the
    # classifier's input, after final_bn and final_relu.
    assert first.min() < 0
    assert last.min() >= 0
    assert model.final_bn.num_features == 128


def test_shortcut_projects_pre_activated_input():
    block = CIFARWideBasicBlock(16, 32, stride=2)
    block.eval()
    x = torch.randn(1, 16, 8, 8)

    out = block(x)

    residual = block.conv2(block.relu2(block.bn2(block.conv1(
        block.relu1(block.bn1(x))))))
    shortcut = block.shortcut(block.relu1(block.bn1(x)))
    torch.testing.assert_close(out, residual + shortcut)
    assert CIFARWideBasicBlock(32, 32).shortcut is None


def test_drop_rate_acts_in_training_only():
    model = CIFARWideResNet(16, 1, drop_rate=0.5)
    x = torch.randn(2, 3, 32, 32)

    model.train()
    first, second = model(x)[0], model(x)[0]
    model.eval()
    third, fourth = model(x)[0], model(x)[0]

    assert not torch.allclose(first, second)
    torch.testing.assert_close(third, fourth)


@pytest.mark.parametrize('depth,widen_factor', [(18, 1), (4, 1), (16, 0),
                                                (16, 1.5)])
def test_bad_depth_or_width_is_rejected(depth, widen_factor):
    with pytest.raises(ValueError, match='CIFARWideResNet: depth must be '
                       f'6n \\+ 4 >= 10 .*depth={depth}'):
        CIFARWideResNet(depth, widen_factor)


def test_grey_28x28_input():
    cfg = dict(type='CIFARWideResNet', depth=16, widen_factor=1,
               in_channels=1)

    assert run_backbone(cfg, size=28, in_channels=1) == [(64, 7, 7)]
