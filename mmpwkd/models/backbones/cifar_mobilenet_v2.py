"""MobileNetV2 for CIFAR, as used by the distillation benchmark.

Sandler, Howard, Zhu, Zhmoginov, Chen, "MobileNetV2: Inverted Residuals and
Linear Bottlenecks", CVPR 2018, in the CIFAR definition of the CRD
benchmark (Tian et al., ICLR 2020; ``HobbitLong/RepDistiller``,
``models/mobilenetv2.py``, ``mobile_half``: expand ratio 6, width 0.5,
from "Knowledge Distillation via Route Constrained Optimization"). The
ImageNet layout is kept, stem stride 2 included, so a 32x32 input ends at
2x2; channels are truncated (``int(c * widen_factor)``) and the last conv
keeps 1280 channels for ``widen_factor <= 1``.
"""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmpwkd.registry import MODELS

from .utils import CIFAR_INIT_CFG, conv_bn_relu, normalize_out_indices

__all__ = ['CIFARInvertedResidual', 'CIFARMobileNetV2']


class CIFARInvertedResidual(nn.Module):
    """Inverted residual: 1x1 expand, 3x3 depthwise, 1x1 linear project,
    with an identity shortcut when the shape is kept.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the depthwise conv.
        expand_ratio (int): Hidden channels are ``in_channels *
            expand_ratio``; a 1x1 expansion is used even at ratio 1, as
            in the reference code.
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 expand_ratio: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.use_shortcut = stride == 1 and in_channels == out_channels
        self.conv1 = nn.Conv2d(in_channels, hidden, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(hidden)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(
            hidden, hidden, 3, stride, padding=1, groups=hidden, bias=False)
        self.bn2 = nn.BatchNorm2d(hidden)
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(hidden, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward one block."""
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return x + out if self.use_shortcut else out


@MODELS.register_module()
class CIFARMobileNetV2(BaseBackbone):
    """MobileNetV2 of the CIFAR distillation benchmark.

    A 3x3 stride-2 conv-BN-ReLU ``stem``, seven stages ``layer1`` to
    ``layer7`` of inverted residuals and a 1x1 conv-BN-ReLU ``final_conv``,
    which is stage index 7, like mmpretrain's ``MobileNetV2``.

    ``out_channels`` lists the channels of every stage (for the
    ``in_channels`` of a head).

    Args:
        widen_factor (float): Width multiplier of the stem and the stages.
            Defaults to 0.5 (the benchmark's "MobileNetV2").
        expand_ratio (int): Expansion of the inverted residuals of
            ``layer2`` to ``layer7`` (``layer1`` uses 1). Defaults to 6.
        in_channels (int): Channels of the input image. Defaults to 3.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, in ``[-8, 8)``. Defaults to ``(7, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to kaiming-normal convs and BN weight 1, bias 0.
    """

    # Output channels, blocks and first stride of each stage.
    stage_settings = ((16, 1, 1), (24, 2, 1), (32, 3, 2), (64, 4, 2),
                      (96, 3, 1), (160, 3, 2), (320, 1, 1))

    def __init__(self,
                 widen_factor: float = 0.5,
                 expand_ratio: int = 6,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (7, ),
                 init_cfg: Union[dict, list, None] = CIFAR_INIT_CFG) -> None:
        super().__init__(init_cfg=init_cfg)
        if int(16 * widen_factor) < 1 or expand_ratio < 1:
            raise ValueError(
                'CIFARMobileNetV2: widen_factor must keep every stage '
                'non-empty (>= 0.0625) and expand_ratio be >= 1, got '
                f'widen_factor={widen_factor}, expand_ratio={expand_ratio}.')
        self.out_indices = normalize_out_indices(out_indices, 8,
                                                 'CIFARMobileNetV2')
        channels = int(32 * widen_factor)
        self.stem = conv_bn_relu(in_channels, channels, 3, stride=2)
        out_channels = []
        for index, (width, blocks, stride) in enumerate(self.stage_settings):
            ratio = 1 if index == 0 else expand_ratio
            stage_out = int(width * widen_factor)
            layers = []
            for block in range(blocks):
                layers.append(
                    CIFARInvertedResidual(channels, stage_out,
                                          stride if block == 0 else 1,
                                          ratio))
                channels = stage_out
            self.add_module(f'layer{index + 1}', nn.Sequential(*layers))
            out_channels.append(stage_out)
        last_channels = int(1280 * max(widen_factor, 1.0))
        self.final_conv = conv_bn_relu(channels, last_channels, 1)
        self.out_channels = tuple(out_channels) + (last_channels, )

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward the stem, the seven stages and the final conv.

        Args:
            x (torch.Tensor): Images of shape (N, in_channels, H, W).

        Returns:
            tuple[torch.Tensor]: The outputs of the stages in
            ``out_indices`` (index 7 is ``final_conv``).
        """
        x = self.stem(x)
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4,
                      self.layer5, self.layer6, self.layer7,
                      self.final_conv):
            x = layer(x)
            outs.append(x)
        return tuple(outs[i] for i in self.out_indices)
