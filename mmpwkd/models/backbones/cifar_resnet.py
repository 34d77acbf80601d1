"""Thin ResNets for CIFAR, as used by the CIFAR-100 distillation benchmark.

He, Zhang, Ren, Sun, "Deep Residual Learning for Image Recognition", CVPR
2016 (section 4.2, the 6n+2 CIFAR networks), in the definition of the
CRD benchmark (Tian, Krishnan, Isola, "Contrastive Representation
Distillation", ICLR 2020; ``HobbitLong/RepDistiller``, ``models/resnet.py``):
a 3x3 stem and three stages of basic blocks at strides 1, 2, 2. The
``resnetNx4`` networks widen every stage 4x and their stem 2x.
"""
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmpwkd.registry import MODELS

from .utils import CIFAR_INIT_CFG, conv_bn_relu, normalize_out_indices

__all__ = ['CIFARBasicBlock', 'CIFARResNet']


class CIFARBasicBlock(nn.Module):
    """Basic residual block: two 3x3 convs, a projection shortcut when the
    shape changes, and a ReLU after the addition.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        stride (int): Stride of the first conv and of the shortcut.
            Defaults to 1.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_channels, out_channels, 3, stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(
            out_channels, out_channels, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = None
        if stride != 1 or in_channels != out_channels:
            self.downsample = nn.Sequential(
                nn.Conv2d(
                    in_channels, out_channels, 1, stride, bias=False),
                nn.BatchNorm2d(out_channels))
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Forward one block."""
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu2(out + identity)


@MODELS.register_module()
class CIFARResNet(BaseBackbone):
    """ResNet of the CIFAR distillation benchmark (resnet8 ... resnet110,
    resnet8x4, resnet32x4).

    The stem is a 3x3 conv-BN-ReLU (``stem``); the stages ``layer1`` to
    ``layer3`` hold ``(depth - 2) / 6`` basic blocks each, at strides 1, 2,
    2. A 32x32 input gives stage maps of 32x32, 16x16 and 8x8.

    ``out_channels`` lists the channels of every stage (for the
    ``in_channels`` of a head).

    Args:
        arch (str | dict): A name in ``CIFARResNet.arch_settings`` or a
            dict with ``depth`` (6n+2), ``stem_channels`` (int) and
            ``stage_channels`` (three ints). Defaults to ``'resnet20'``.
        in_channels (int): Channels of the input image (3 for CIFAR, 1 for
            Fashion-MNIST). Defaults to 3.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, in ``[-3, 3)``. Defaults to ``(2, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to kaiming-normal convs and BN weight 1, bias 0.
    """

    arch_settings: Dict[str, dict] = {
        'resnet8': dict(
            depth=8, stem_channels=16, stage_channels=(16, 32, 64)),
        'resnet14': dict(
            depth=14, stem_channels=16, stage_channels=(16, 32, 64)),
        'resnet20': dict(
            depth=20, stem_channels=16, stage_channels=(16, 32, 64)),
        'resnet32': dict(
            depth=32, stem_channels=16, stage_channels=(16, 32, 64)),
        'resnet44': dict(
            depth=44, stem_channels=16, stage_channels=(16, 32, 64)),
        'resnet56': dict(
            depth=56, stem_channels=16, stage_channels=(16, 32, 64)),
        'resnet110': dict(
            depth=110, stem_channels=16, stage_channels=(16, 32, 64)),
        'resnet8x4': dict(
            depth=8, stem_channels=32, stage_channels=(64, 128, 256)),
        'resnet32x4': dict(
            depth=32, stem_channels=32, stage_channels=(64, 128, 256)),
    }

    def __init__(self,
                 arch: Union[str, dict] = 'resnet20',
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (2, ),
                 init_cfg: Union[dict, list, None] = CIFAR_INIT_CFG) -> None:
        super().__init__(init_cfg=init_cfg)
        depth, stem_channels, stage_channels = self._parse_arch(arch)
        self.out_indices = normalize_out_indices(out_indices, 3,
                                                 'CIFARResNet')
        self.stem = conv_bn_relu(in_channels, stem_channels, 3)
        blocks_per_stage = (depth - 2) // 6
        channels = stem_channels
        for index, (out_channels, stride) in enumerate(
                zip(stage_channels, (1, 2, 2))):
            blocks = [CIFARBasicBlock(channels, out_channels, stride)]
            blocks += [
                CIFARBasicBlock(out_channels, out_channels)
                for _ in range(blocks_per_stage - 1)
            ]
            self.add_module(f'layer{index + 1}', nn.Sequential(*blocks))
            channels = out_channels
        self.out_channels = tuple(stage_channels)

    def _parse_arch(self, arch: Union[str, dict]) -> Tuple[int, int, tuple]:
        """Depth, stem channels and stage channels of ``arch``."""
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise ValueError(
                    f'CIFARResNet: arch must be one of '
                    f'{list(self.arch_settings)} or a dict, got {arch!r}.')
            arch = self.arch_settings[arch]
        keys = {'depth', 'stem_channels', 'stage_channels'}
        if not isinstance(arch, dict) or set(arch) != keys:
            raise ValueError(
                f'CIFARResNet: an arch dict must have exactly the keys '
                f'{sorted(keys)}, got {arch!r}.')
        depth, stage_channels = arch['depth'], tuple(arch['stage_channels'])
        if depth < 8 or (depth - 2) % 6 != 0 or len(stage_channels) != 3:
            raise ValueError(
                'CIFARResNet: arch needs depth = 6n + 2 >= 8 and three '
                f'stage_channels, got depth={depth}, '
                f'stage_channels={stage_channels}.')
        return depth, arch['stem_channels'], stage_channels

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
