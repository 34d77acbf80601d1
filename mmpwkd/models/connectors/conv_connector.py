"""A 1x1 conv + BN connector that follows the teacher's active width.

FitNets (Romero et al., ICLR 2015) regress the teacher's features from the
student's through a learned connector. Under PWKD the teacher's channels grow
stage by stage; the connector maps to the teacher's *full* width and uses the
leading output channels that the active width has, so one connector serves
every stage and keeps what it learned.
"""
from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_positive_int

__all__ = ['ConvConnector']


@MODELS.register_module()
class ConvConnector(nn.Module):
    """1x1 conv (+ BN) from student to teacher channels, sliceable.

    Args:
        in_channels (int): Student feature channels.
        out_channels (int): Teacher feature channels at full width.
        norm (bool): Follow the conv with BatchNorm. Defaults to True.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 norm: bool = True) -> None:
        super().__init__()
        self.in_channels = check_positive_int('ConvConnector', 'in_channels',
                                              in_channels)
        self.out_channels = check_positive_int('ConvConnector',
                                               'out_channels', out_channels)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=not norm)
        self.bn = nn.BatchNorm2d(out_channels) if norm else None

    def forward(self, x: Tensor, out_channels: Optional[int] = None) -> Tensor:
        """Map ``x`` to the leading ``out_channels`` teacher channels.

        Args:
            x (Tensor): Student feature (N, in_channels, H, W).
            out_channels (int, optional): Active teacher channels; all when
                None. Defaults to None.
        """
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f'ConvConnector expects (N, {self.in_channels}, H, W) '
                f'student features, got {tuple(x.shape)}')
        c = self.out_channels if out_channels is None else out_channels
        if not 0 < c <= self.out_channels:
            raise ValueError(
                f'ConvConnector maps to at most {self.out_channels} teacher '
                f'channels (its out_channels), the teacher has {c}')
        bias = None if self.conv.bias is None else self.conv.bias[:c]
        x = F.conv2d(x, self.conv.weight[:c], bias)
        if self.bn is None:
            return x
        bn = self.bn
        return F.batch_norm(
            x,
            bn.running_mean[:c],
            bn.running_var[:c],
            bn.weight[:c],
            bn.bias[:c],
            training=self.training,
            momentum=bn.momentum,
            eps=bn.eps)
