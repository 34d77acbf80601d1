"""VGG with BatchNorm for 32x32 inputs, as used by the distillation
benchmark.

Simonyan, Zisserman, "Very Deep Convolutional Networks for Large-Scale
Image Recognition", ICLR 2015, in the CIFAR definition of the CRD benchmark
(Tian et al., ICLR 2020; ``HobbitLong/RepDistiller``, ``models/vgg.py``,
the ``vggN_bn`` models): five stages of 3x3 conv-BN-ReLU (convs with bias),
2x2 max pooling before stages 2, 3 and 4 only, and no fully connected
layers; a 32x32 input ends at 4x4 with 512 channels.
"""
from collections import OrderedDict
from typing import Dict, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.backbones.base_backbone import BaseBackbone

from mmpwkd.registry import MODELS

from .utils import CIFAR_INIT_CFG, normalize_out_indices

__all__ = ['CIFARVGG']


@MODELS.register_module()
class CIFARVGG(BaseBackbone):
    """VGG-BN of the CIFAR distillation benchmark (vgg8, vgg11, vgg13,
    vgg16, vgg19).

    Stage ``layerK`` is a sequence named ``pool`` (stages 2 to 4),
    ``conv1``, ``bn1``, ``relu1``, ``conv2``, ... Stage outputs are taken
    after their last ReLU, before the next pooling.

    ``out_channels`` lists the channels of every stage (for the
    ``in_channels`` of a head).

    Args:
        arch (str | Sequence[Sequence[int]]): A name in
            ``CIFARVGG.arch_settings`` or the conv channels of each of the
            five stages. Defaults to ``'vgg13'``.
        in_channels (int): Channels of the input image. Defaults to 3.
        out_indices (int | Sequence[int]): Stages whose outputs are
            returned, in ``[-5, 5)``. Defaults to ``(4, )``.
        init_cfg (dict | list[dict], optional): Initialisation config.
            Defaults to kaiming-normal convs (zero bias) and BN weight 1,
            bias 0.
    """

    arch_settings: Dict[str, tuple] = {
        'vgg8': ((64, ), (128, ), (256, ), (512, ), (512, )),
        'vgg11': ((64, ), (128, ), (256, 256), (512, 512), (512, 512)),
        'vgg13': ((64, 64), (128, 128), (256, 256), (512, 512), (512, 512)),
        'vgg16': ((64, 64), (128, 128), (256, 256, 256), (512, 512, 512),
                  (512, 512, 512)),
        'vgg19': ((64, 64), (128, 128), (256, 256, 256, 256),
                  (512, 512, 512, 512), (512, 512, 512, 512)),
    }
    # Stages preceded by a 2x2 max pooling; the reference code also pools
    # before stage 5 for 64x64 inputs only.
    pooled_stages = (1, 2, 3)

    def __init__(self,
                 arch: Union[str, Sequence[Sequence[int]]] = 'vgg13',
                 in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = (4, ),
                 init_cfg: Union[dict, list, None] = CIFAR_INIT_CFG) -> None:
        super().__init__(init_cfg=init_cfg)
        stage_channels = self._parse_arch(arch)
        self.out_indices = normalize_out_indices(out_indices, 5, 'CIFARVGG')
        channels = in_channels
        for index, convs in enumerate(stage_channels):
            layers = OrderedDict()
            if index in self.pooled_stages:
                layers['pool'] = nn.MaxPool2d(kernel_size=2, stride=2)
            for number, out_channels in enumerate(convs, start=1):
                layers[f'conv{number}'] = nn.Conv2d(
                    channels, out_channels, 3, padding=1)
                layers[f'bn{number}'] = nn.BatchNorm2d(out_channels)
                layers[f'relu{number}'] = nn.ReLU()
                channels = out_channels
            self.add_module(f'layer{index + 1}', nn.Sequential(layers))
        self.out_channels = tuple(convs[-1] for convs in stage_channels)

    def _parse_arch(
        self, arch: Union[str, Sequence[Sequence[int]]]
    ) -> Tuple[Tuple[int, ...], ...]:
        """The conv channels of the five stages of ``arch``."""
        if isinstance(arch, str):
            if arch not in self.arch_settings:
                raise ValueError(
                    f'CIFARVGG: arch must be one of {list(self.arch_settings)}'
                    f' or five sequences of conv channels, got {arch!r}.')
            return self.arch_settings[arch]
        stages = tuple(tuple(convs) for convs in arch)
        if len(stages) != 5 or not all(stages):
            raise ValueError(
                'CIFARVGG: arch must give five non-empty sequences of conv '
                f'channels, one per stage, got {arch!r}.')
        return stages

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """Forward the five stages.

        Args:
            x (torch.Tensor): Images of shape (N, in_channels, H, W).

        Returns:
            tuple[torch.Tensor]: The outputs of the stages in
            ``out_indices``.
        """
        outs = []
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4,
                      self.layer5):
            x = layer(x)
            outs.append(x)
        return tuple(outs[i] for i in self.out_indices)
