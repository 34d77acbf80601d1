"""ShuffleNetV1 for CIFAR, as used by the distillation benchmark.

Zhang, Zhou, Lin, Sun, "ShuffleNet: An Extremely Efficient Convolutional
Neural Network for Mobile Devices", CVPR 2018, in the CIFAR definition of
the CRD benchmark (Tian et al., ICLR 2020; ``HobbitLong/RepDistiller``,
``models/ShuffleNetv1.py``, ``ShuffleV1``): a 1x1 stem of 24 channels with
no pooling, then three stages that each start with a stride-2 unit; a
32x32 input ends at 4x4.
"""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmpwkd.registry import MODELS

from .utils import (
    CIFAR_INIT_CFG,
    ChannelShuffle,
    conv_bn_relu,
    normalize_out_indices,
)

__all__ = ['CIFARShuffleUnitV1', 'CIFARShuffleNetV1']

STEM_CHANNELS = 24


class CIFARShuffleUnitV1(nn.Module):
    """ShuffleNet unit: grouped 1x1 conv, channel shuffle, 3x3 depthwise
    conv, grouped 1x1 conv. At stride 1 the input is added; at stride 2 the
    3x3 average-pooled input is concatenated, so the unit outputs
    ``out_channels + in_channels`` channels.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Channels of the residual branch; the
            bottleneck has ``out_channels // 4``.
        stride (int): 1 or 2.
        groups (int): Groups of the second 1x1 conv.
        first_groups (int): Groups of the first 1x1 conv and of the
            shuffle (1 for the unit after the narrow stem).
    """

    def __init__(self, in_channels: int, out_channels: int, stride: int,
                 groups: int, first_groups: int) -> None:
        super().__init__()
        mid_channels = out_channels // 4
        self.conv1 = nn.Conv2d(
            in_channels, mid_channels, 1, groups=first_groups, bias=False)
        self.bn1 = nn.BatchNorm2d(mid_channels)
        self.relu1 = nn.ReLU()
        self.shuffle = ChannelShuffle(first_groups)
        self.conv2 = nn.Conv2d(
            mid_channels,
            mid_channels,
            3,
            stride,
            padding=1,
            groups=mid_channels,
            bias=False)
        self.bn2 = nn.BatchNorm2d(mid_channels)
        # ReLU after the depthwise conv, as in the reference CIFAR code.
        self.relu2 = nn.ReLU()
        self.conv3 = nn.Conv2d(
            mid_channels, out_channels, 1, groups=groups, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = None
        if stride == 2:
            self.shortcut = nn.AvgPool2d(3, stride=2, padding=1)
        self.relu3 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward one unit."""
        out = self.shuffle(self.relu1(self.bn1(self.conv1(x))))
        out = self.relu2(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.shortcut is None:
            return self.relu3(out + x)
        return self.relu3(torch.cat([out, self.shortcut(x)], dim=1))


@MODELS.register_module()
class CIFARShuffleNetV1(BaseBackbone):
    """ShuffleNetV1 of the CIFAR distillation benchmark (``ShuffleV1``).

    A 1x1 conv-BN-ReLU ``stem`` and stages ``layer1`` to ``layer3``. The
    first unit of each stage has stride 2 and widens by concatenation;
    the first 1x1 conv after the stem is not grouped (the paper: too few
    input channels).

    ``out_channels`` lists the channels of every stage (for the
    ``in_channels`` of a head).

    Args:
        stage_channels (Sequence[int]): Output channels of the three
            stages. Defaults to ``(240, 480, 960)``, the paper's 1x at
            ``groups=3``.
        stage_blocks (Sequence[int]): Units per stage. Defaults to
            ``(4, 8, 4)``.
        groups (int): Groups of the 1x1 convs. Defaults to 3.
        in_channels (int): Channels of the input image. Defaults to 3.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, in ``[-3, 3)``. Defaults to ``(2, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to kaiming-normal convs and BN weight 1, bias 0.
    """

    def __init__(self,
                 stage_channels: Sequence[int] = (240, 480, 960),
                 stage_blocks: Sequence[int] = (4, 8, 4),
                 groups: int = 3,
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (2, ),
                 init_cfg: Union[dict, list, None] = CIFAR_INIT_CFG) -> None:
        super().__init__(init_cfg=init_cfg)
        self._check_arch(tuple(stage_channels), tuple(stage_blocks), groups)
        self.out_indices = normalize_out_indices(out_indices, 3,
                                                 'CIFARShuffleNetV1')
        self.stem = conv_bn_relu(in_channels, STEM_CHANNELS, 1)
        channels = STEM_CHANNELS
        for index, (out_channels, blocks) in enumerate(
                zip(stage_channels, stage_blocks)):
            # The stride-2 unit concatenates its pooled input to reach
            # out_channels; the first 1x1 conv after the stem is dense.
            units = [
                CIFARShuffleUnitV1(channels, out_channels - channels, 2,
                                   groups, 1 if index == 0 else groups)
            ]
            units += [
                CIFARShuffleUnitV1(out_channels, out_channels, 1, groups,
                                   groups) for _ in range(blocks - 1)
            ]
            self.add_module(f'layer{index + 1}', nn.Sequential(*units))
            channels = out_channels
        self.out_channels = tuple(stage_channels)

    @staticmethod
    def _check_arch(stage_channels: Tuple[int, ...],
                    stage_blocks: Tuple[int, ...], groups: int) -> None:
        """Check that every grouped conv of the layout is well formed."""
        if (len(stage_channels) != 3 or len(stage_blocks) != 3
                or min(stage_blocks) < 1):
            raise ValueError(
                'CIFARShuffleNetV1: stage_channels and stage_blocks need '
                f'three entries (blocks >= 1), got {stage_channels} and '
                f'{stage_blocks}.')
        inputs = (STEM_CHANNELS, ) + stage_channels[:2]
        for index, (channels, in_channels) in enumerate(
                zip(stage_channels, inputs)):
            branches = (channels - in_channels, channels)
            if any(b <= 0 or b % (4 * groups) for b in branches):
                raise ValueError(
                    f'CIFARShuffleNetV1: stage {index} of {channels} '
                    f'channels after {in_channels} does not fit groups='
                    f'{groups}: its branch widths {branches} must be '
                    'positive multiples of 4 * groups.')

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward the stem and the three stages.

        Args:
            x (torch.Tensor): Images of shape (N, in_channels, H, W).

        Returns:
            tuple[torch.Tensor]: The outputs of the stages in
            ``out_indices``.
        """
        x = self.stem(x)
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3):
            x = layer(x)
            outs.append(x)
        return tuple(outs[i] for i in self.out_indices)
