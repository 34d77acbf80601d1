"""Parts shared by the CIFAR knowledge-distillation backbones."""
from collections import OrderedDict
from typing import List, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmpretrain.models.utils import channel_shuffle

__all__ = [
    'CIFAR_INIT_CFG', 'ChannelShuffle', 'conv_bn_relu', 'normalize_out_indices'
]

# The initialisation of the reference CIFAR-KD code (RepDistiller):
# kaiming-normal convs (fan_out, ReLU gain, zero bias) and BN at (1, 0).
CIFAR_INIT_CFG: List[dict] = [
    dict(type='Kaiming', layer='Conv2d', mode='fan_out',
         nonlinearity='relu', distribution='normal', bias=0),
    dict(type='Constant', layer='_BatchNorm', val=1, bias=0),
]


class ChannelShuffle(nn.Module):
    """Channel shuffle of ShuffleNet: interleaves the channels of ``groups``
    equal groups. It has no parameters.

    Args:
        groups (int): Number of channel groups; must divide the channels.
    """

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Shuffle the channels of ``x`` (N, C, H, W)."""
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f'groups={self.groups}'


def conv_bn_relu(in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1) -> nn.Sequential:
    """A bias-free conv, a BatchNorm and a ReLU named ``conv``, ``bn``,
    ``relu``; padding keeps the size at stride 1.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        kernel_size (int): Kernel size of the conv.
        stride (int): Stride of the conv. Defaults to 1.

    Returns:
        nn.Sequential: The three modules.
    """
    return nn.Sequential(
        OrderedDict(
            conv=nn.Conv2d(
                in_channels,
                out_channels,
                kernel_size,
                stride=stride,
                padding=kernel_size // 2,
                bias=False),
            bn=nn.BatchNorm2d(out_channels),
            relu=nn.ReLU()))


def normalize_out_indices(out_indices: Union[int, Sequence[int]],
                          num_stages: int, owner: str) -> Tuple[int, ...]:
    """Check stage indices and turn negative ones into positive ones.

    Args:
        out_indices (int | Sequence[int]): Indices of the stages to
            output; ``-1`` is the last stage.
        num_stages (int): Number of stages of the backbone.
        owner (str): Name of the backbone, for the error message.

    Returns:
        tuple[int]: The indices in ``[0, num_stages)``, sorted, unique.

    Raises:
        ValueError: If ``out_indices`` is empty or an index is out of range.
    """
    if isinstance(out_indices, int):
        out_indices = (out_indices, )
    bad = [i for i in out_indices if not -num_stages <= i < num_stages]
    if not out_indices or bad:
        raise ValueError(
            f'{owner}: out_indices must be a non-empty sequence of stage '
            f'indices in [{-num_stages}, {num_stages}) for its {num_stages} '
            f'stages, got {tuple(out_indices)}.')
    return tuple(sorted({i % num_stages for i in out_indices}))
