"""Wide ResNets (WRN-d-k) for CIFAR, as used by the distillation benchmark.

Zagoruyko, Komodakis, "Wide Residual Networks", BMVC 2016, in the
definition of the CRD benchmark (Tian et al., ICLR 2020;
``HobbitLong/RepDistiller``, ``models/wrn.py``): pre-activation basic
blocks, a 16-channel 3x3 stem conv, stages of ``16k, 32k, 64k`` channels at
strides 1, 2, 2, and a final BN-ReLU.
"""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmpwkd.registry import MODELS

from .utils import CIFAR_INIT_CFG, normalize_out_indices

__all__ = ['CIFARWideBasicBlock', 'CIFARWideResNet']


class CIFARWideBasicBlock(nn.Module):
    """Pre-activation block: BN-ReLU-conv3x3, BN-ReLU-(dropout)-conv3x3.

    When the shape changes, the shortcut is a 1x1 conv applied to the
    pre-activated input (as in the reference WRN code); otherwise it is the
    raw input.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv and of the shortcut.
            Defaults to 1.
        drop_rate (float): Dropout probability between the convs.
            Defaults to 0.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 drop_rate: float = 0.0) -> None:
        super().__init__()
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.relu1 = nn.ReLU()
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.relu2 = nn.ReLU()
        self.dropout = nn.Dropout(drop_rate) if drop_rate else nn.Identity()
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, padding=1, bias=False)
        self.shortcut = None
        if stride != 1 or in_channels != out_channels:
            self.shortcut = nn.Conv2d(
                in_channels, out_channels, 1, stride, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward one block."""
        out = self.relu1(self.bn1(x))
        identity = x if self.shortcut is None else self.shortcut(out)
        out = self.relu2(self.bn2(self.conv1(out)))
        out = self.conv2(self.dropout(out))
        return out + identity


@MODELS.register_module()
class CIFARWideResNet(BaseBackbone):
    """Wide ResNet of the CIFAR distillation benchmark (WRN-16-1, WRN-16-2,
    WRN-40-1, WRN-40-2, ...).

    The stem is one 3x3 conv (``stem``); the stages ``layer1`` to
    ``layer3`` hold ``(depth - 4) / 6`` blocks each. Being pre-activation
    blocks, the stage outputs are sums before BN; the last stage output
    goes through ``final_bn`` and ``final_relu`` (the features the
    classifier sees), as in the reference code.

    ``out_channels`` lists the channels of every stage (for the
    ``in_channels`` of a head).

    Args:
        depth (int): Depth, 6n + 4 (16, 22, 28, 40, ...). Defaults to 16.
        widen_factor (int): Width multiplier k of the stages. Defaults
            to 1.
        drop_rate (float): Dropout probability inside the blocks.
            Defaults to 0.
        in_channels (int): Channels of the input image. Defaults to 3.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, in ``[-3, 3)``. Defaults to ``(2, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to kaiming-normal convs and BN weight 1, bias 0.
    """

    def __init__(self,
                 depth: int = 16,
                 widen_factor: int = 1,
                 drop_rate: float = 0.0,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (2, ),
                 init_cfg: Union[dict, list, None] = CIFAR_INIT_CFG) -> None:
        super().__init__(init_cfg=init_cfg)
        if (depth < 10 or (depth - 4) % 6 != 0
                or not isinstance(widen_factor, int) or widen_factor < 1):
            raise ValueError(
                'CIFARWideResNet: depth must be 6n + 4 >= 10 and '
                f'widen_factor an int >= 1, got depth={depth}, '
                f'widen_factor={widen_factor}.')
        self.out_indices = normalize_out_indices(out_indices, 3,
                                                 'CIFARWideResNet')
        self.stem = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        blocks_per_stage = (depth - 4) // 6
        stage_channels = tuple(c * widen_factor for c in (16, 32, 64))
        channels = 16
        for index, (out_channels, stride) in enumerate(
                zip(stage_channels, (1, 2, 2))):
            blocks = [
                CIFARWideBasicBlock(channels, out_channels, stride,
                                    drop_rate)
            ]
            blocks += [
                CIFARWideBasicBlock(out_channels, out_channels, 1, drop_rate)
                for _ in range(blocks_per_stage - 1)
            ]
            self.add_module(f'layer{index + 1}', nn.Sequential(*blocks))
            channels = out_channels
        self.final_bn = nn.BatchNorm2d(channels)
        self.final_relu = nn.ReLU()
        self.out_channels = stage_channels

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward the stem, the three stages and the final BN-ReLU.

        Args:
            x (torch.Tensor): Images of shape (N, in_channels, H, W).

        Returns:
            tuple[torch.Tensor]: The outputs of the stages in
            ``out_indices``; the last one after ``final_bn`` and
            ``final_relu``.
        """
        x = self.stem(x)
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3):
            x = layer(x)
            outs.append(x)
        outs[-1] = self.final_relu(self.final_bn(outs[-1]))
        return tuple(outs[i] for i in self.out_indices)
