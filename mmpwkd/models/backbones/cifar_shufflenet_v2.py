"""ShuffleNetV2 for CIFAR, as used by the distillation benchmark.

Ma, Zhang, Zheng, Sun, "ShuffleNet V2: Practical Guidelines for Efficient
CNN Architecture Design", ECCV 2018, in the CIFAR definition of the CRD
benchmark (Tian et al., ICLR 2020; ``HobbitLong/RepDistiller``,
``models/ShuffleNetv2.py``, ``ShuffleV2``): a 1x1 stem of 24 channels with
no pooling, three stages of one down-sampling unit plus 3, 7, 3 basic
units, and a final 1x1 conv; a 32x32 input ends at 4x4.
"""
from typing import Dict, Sequence, Tuple, Union

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

__all__ = ['CIFARShuffleUnitV2', 'CIFARDownUnitV2', 'CIFARShuffleNetV2']

STEM_CHANNELS = 24


class CIFARShuffleUnitV2(nn.Module):
    """Basic unit: split the channels in halves, transform the second half
    (1x1, 3x3 depthwise, 1x1), concatenate, shuffle.

    Args:
        channels (int): Input and output channels (even).
    """

    def __init__(self, channels: int) -> None:
        super().__init__()
        half = channels // 2
        self.conv1 = nn.Conv2d(half, half, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(half)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(
            half, half, 3, padding=1, groups=half, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.conv3 = nn.Conv2d(half, half, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(half)
        self.relu3 = nn.ReLU()
        self.shuffle = ChannelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward one unit."""
        kept, branch = x.chunk(2, dim=1)
        branch = self.relu1(self.bn1(self.conv1(branch)))
        branch = self.bn2(self.conv2(branch))
        branch = self.relu3(self.bn3(self.conv3(branch)))
        return self.shuffle(torch.cat([kept, branch], dim=1))


class CIFARDownUnitV2(nn.Module):
    """Down-sampling unit: two stride-2 branches on the whole input, each
    giving half of the output channels, concatenated and shuffled.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even).
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        half = out_channels // 2
        # Left branch: 3x3 depthwise (stride 2), 1x1.
        self.conv1 = nn.Conv2d(
            in_channels,
            in_channels,
            3,
            2,
            padding=1,
            groups=in_channels,
            bias=False)
        self.bn1 = nn.BatchNorm2d(in_channels)
        self.conv2 = nn.Conv2d(in_channels, half, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(half)
        self.relu2 = nn.ReLU()
        # Right branch: 1x1, 3x3 depthwise (stride 2), 1x1.
        self.conv3 = nn.Conv2d(in_channels, half, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(half)
        self.relu3 = nn.ReLU()
        self.conv4 = nn.Conv2d(
            half, half, 3, 2, padding=1, groups=half, bias=False)
        self.bn4 = nn.BatchNorm2d(half)
        self.conv5 = nn.Conv2d(half, half, 1, bias=False)
        self.bn5 = nn.BatchNorm2d(half)
        self.relu5 = nn.ReLU()
        self.shuffle = ChannelShuffle(2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward one unit."""
        left = self.bn1(self.conv1(x))
        left = self.relu2(self.bn2(self.conv2(left)))
        right = self.relu3(self.bn3(self.conv3(x)))
        right = self.bn4(self.conv4(right))
        right = self.relu5(self.bn5(self.conv5(right)))
        return self.shuffle(torch.cat([left, right], dim=1))


@MODELS.register_module()
class CIFARShuffleNetV2(BaseBackbone):
    """ShuffleNetV2 of the CIFAR distillation benchmark (``ShuffleV2`` is
    ``widen_factor=1.0``).

    A 1x1 conv-BN-ReLU ``stem``, stages ``layer1`` to ``layer3`` (a
    down-sampling unit, then basic units) and a 1x1 conv-BN-ReLU
    ``final_conv``, which is stage index 3, like mmpretrain's
    ``ShuffleNetV2``.

    ``out_channels`` lists the channels of every stage (for the
    ``in_channels`` of a head).

    Args:
        widen_factor (float): One of ``CIFARShuffleNetV2.arch_settings``
            (0.5, 1.0, 1.5, 2.0; channels of the paper's Table 5).
            Defaults to 1.0.
        stage_blocks (Sequence[int]): Basic units per stage after the
            down-sampling unit. Defaults to ``(3, 7, 3)``.
        in_channels (int): Channels of the input image. Defaults to 3.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, in ``[-4, 4)``. Defaults to ``(3, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to kaiming-normal convs and BN weight 1, bias 0.
    """

    # Channels of the three stages and of the final conv.
    arch_settings: Dict[float, Tuple[int, ...]] = {
        0.5: (48, 96, 192, 1024),
        1.0: (116, 232, 464, 1024),
        1.5: (176, 352, 704, 1024),
        2.0: (244, 488, 976, 2048),
    }

    def __init__(self,
                 widen_factor: float = 1.0,
                 stage_blocks: Sequence[int] = (3, 7, 3),
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (3, ),
                 init_cfg: Union[dict, list, None] = CIFAR_INIT_CFG) -> None:
        super().__init__(init_cfg=init_cfg)
        if widen_factor not in self.arch_settings or len(stage_blocks) != 3:
            raise ValueError(
                'CIFARShuffleNetV2: widen_factor must be one of '
                f'{list(self.arch_settings)} and stage_blocks have three '
                f'entries, got widen_factor={widen_factor}, '
                f'stage_blocks={tuple(stage_blocks)}.')
        self.out_indices = normalize_out_indices(out_indices, 4,
                                                 'CIFARShuffleNetV2')
        *stage_channels, last_channels = self.arch_settings[widen_factor]
        self.stem = conv_bn_relu(in_channels, STEM_CHANNELS, 1)
        channels = STEM_CHANNELS
        for index, (out_channels, blocks) in enumerate(
                zip(stage_channels, stage_blocks)):
            units = [CIFARDownUnitV2(channels, out_channels)]
            units += [CIFARShuffleUnitV2(out_channels) for _ in range(blocks)]
            self.add_module(f'layer{index + 1}', nn.Sequential(*units))
            channels = out_channels
        self.final_conv = conv_bn_relu(channels, last_channels, 1)
        self.out_channels = tuple(stage_channels) + (last_channels, )

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward the stem, the three stages and the final conv.

        Args:
            x (torch.Tensor): Images of shape (N, in_channels, H, W).

        Returns:
            tuple[torch.Tensor]: The outputs of the stages in
            ``out_indices`` (index 3 is ``final_conv``).
        """
        x = self.stem(x)
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3,
                      self.final_conv):
            x = layer(x)
            outs.append(x)
        return tuple(outs[i] for i in self.out_indices)
