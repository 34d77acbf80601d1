"""Width-switchable layers of a slimmable network.

Yu et al., "Slimmable Neural Networks", ICLR 2019: a slimmable layer keeps
one full-width weight and, at width ``w``, uses its leading output channels
and the leading input channels that the previous layer produced, so every
sub-network is a prefix of the next.

The layers subclass their ``torch.nn`` counterparts and keep their parameter
names, so a stock checkpoint loads into them unchanged. Switchable batch norm
is in :mod:`.switchable_bn`.
"""
from typing import Dict, Mapping, Optional, Tuple, Union

import torch.nn.functional as F
from torch import Tensor, nn

from .width_rule import check_widths

__all__ = [
    'SlimmableLayer', 'SlimmableConv2d', 'SlimmableLinear',
    'check_channel_table', 'adopt_tensors'
]


def check_channel_table(table: Mapping[float, int], full_channels: int,
                        where: str) -> Dict[float, int]:
    """Validate the output channels of a layer at each width.

    Args:
        table (Mapping[float, int]): Output channels per width.
        full_channels (int): Output channels of the layer at full width.
        where (str): The layer, for error messages.

    Returns:
        dict[float, int]: The table with float keys, ascending.

    Raises:
        ValueError: Unless the widths pass :func:`check_widths` and the
            channels are integers in ``[1, full_channels]``, equal to
            ``full_channels`` at 1.0 and non-decreasing with the width (a
            narrower sub-network must be a prefix of a wider one).
    """
    widths = check_widths(sorted(table), name=f'the widths of {where}')
    channels = [table[width] for width in widths]
    if any(not isinstance(c, int) or not 1 <= c <= full_channels
           for c in channels):
        raise ValueError(f'{where}: channels per width must be ints in '
                         f'[1, {full_channels}], got {dict(table)}')
    if channels[-1] != full_channels:
        raise ValueError(f'{where}: width 1.0 must keep all '
                         f'{full_channels} channels, got {dict(table)}')
    if channels != sorted(channels):
        raise ValueError(f'{where}: channels must not decrease with the '
                         f'width, got {dict(table)}')
    return dict(zip(widths, channels))


class SlimmableLayer:
    """Mixin holding the output channels of a layer at each width.

    The active width starts at 1.0 (the original layer) and is changed with
    :meth:`set_width`, usually through
    :meth:`SlimmableClassifier.set_width`.
    """

    channels_per_width: Dict[float, int]
    active_width: float

    def _init_widths(self, channels_per_width: Optional[Mapping[float, int]],
                     full_channels: int) -> None:
        table = channels_per_width or {1.0: full_channels}
        self.channels_per_width = check_channel_table(
            table, full_channels, type(self).__name__)
        self.active_width = 1.0

    @property
    def active_channels(self) -> int:
        """int: Output channels at the active width."""
        return self.channels_per_width[self.active_width]

    def set_width(self, width: float) -> None:
        """Switch to ``width``; it must be a key of ``channels_per_width``.

        Args:
            width (float): The width multiplier.
        """
        if width not in self.channels_per_width:
            raise ValueError(f'{type(self).__name__}: width {width!r} is not '
                             f'one of {tuple(self.channels_per_width)}')
        self.active_width = float(width)

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, '
                f'channels_per_width={self.channels_per_width}')


def adopt_tensors(target: nn.Module, source: nn.Module) -> None:
    """Move the parameters and buffers of ``source`` into ``target``.

    The objects themselves move, so their device, dtype and
    ``requires_grad`` (frozen stages) are kept and nothing is copied.

    Args:
        target (nn.Module): The new layer, with the same tensor names.
        source (nn.Module): The layer it replaces.
    """
    for name, param in source.named_parameters(recurse=False):
        setattr(target, name, param)
    for name, buffer in source.named_buffers(recurse=False):
        setattr(target, name, buffer)
    target.train(source.training)


def _frozen_view(tensor: Optional[Tensor], *sizes: int) -> Optional[Tensor]:
    """A parameter viewing the leading ``sizes`` of ``tensor``: it shares
    the storage, so loading new weights into the whole tensor (in place,
    as ``load_state_dict`` does) reaches the view."""
    if tensor is None:
        return None
    view = tensor.detach()[tuple(slice(size) for size in sizes)]
    return nn.Parameter(view, requires_grad=False)


class SlimmableConv2d(SlimmableLayer, nn.Conv2d):
    """``nn.Conv2d`` using the leading channels of its weight.

    The input channels are those of the input tensor, so the image-input
    convolution keeps its 3 (or 1) channels. Grouped convolutions keep the
    channels per group and scale the number of groups, so a depthwise
    convolution stays depthwise at every width.

    Args:
        in_channels (int): Input channels at full width.
        out_channels (int): Output channels at full width.
        kernel_size (int | tuple[int, int]): Kernel size.
        stride (int | tuple[int, int]): Stride. Defaults to 1.
        padding (int | tuple[int, int] | str): Padding. Defaults to 0.
        dilation (int | tuple[int, int]): Dilation. Defaults to 1.
        groups (int): Groups at full width. Defaults to 1.
        bias (bool): Whether to add a learnable bias. Defaults to True.
        padding_mode (str): As in ``nn.Conv2d``. Defaults to ``'zeros'``.
        channels_per_width (Mapping[float, int], optional): Output channels
            at each width; see :func:`check_channel_table`. Defaults to None,
            meaning only width 1.0.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: Union[int, Tuple[int, int]],
                 stride: Union[int, Tuple[int, int]] = 1,
                 padding: Union[int, Tuple[int, int], str] = 0,
                 dilation: Union[int, Tuple[int, int]] = 1,
                 groups: int = 1,
                 bias: bool = True,
                 padding_mode: str = 'zeros',
                 channels_per_width: Optional[Mapping[float, int]] = None
                 ) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride,
                         padding, dilation, groups, bias, padding_mode)
        self._init_widths(channels_per_width, out_channels)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d,
                  channels_per_width: Mapping[float, int]
                  ) -> 'SlimmableConv2d':
        """Wrap an existing convolution, taking over its parameters.

        Args:
            conv (nn.Conv2d): The convolution.
            channels_per_width (Mapping[float, int]): Output channels at
                each width.

        Returns:
            SlimmableConv2d: The slimmable convolution.
        """
        layer = cls(conv.in_channels, conv.out_channels, conv.kernel_size,
                    conv.stride, conv.padding, conv.dilation, conv.groups,
                    conv.bias is not None, conv.padding_mode,
                    channels_per_width)
        adopt_tensors(layer, conv)
        return layer

    def _active_groups(self, in_channels: int, out_channels: int) -> int:
        if in_channels > self.in_channels:
            raise ValueError(f'{self!r}: got {in_channels} input channels, '
                             f'more than the {self.in_channels} it has')
        if self.groups == 1:
            return 1
        in_per_group = self.in_channels // self.groups
        out_per_group = self.out_channels // self.groups
        groups = in_channels // in_per_group
        if (in_channels % in_per_group
                or out_channels != groups * out_per_group):
            raise ValueError(
                f'{self!r}: {in_channels} input and {out_channels} output '
                f'channels do not split into groups of {in_per_group} '
                f'inputs and {out_per_group} outputs')
        return groups

    def _pad_amounts(self) -> Tuple[int, int, int, int]:
        """``F.pad`` amounts (left, right, top, bottom) of ``padding``, for
        a padding mode other than zeros ('same' puts the odd one right)."""
        if isinstance(self.padding, str):
            if self.padding == 'valid':
                return (0, 0, 0, 0)
            totals = [d * (k - 1)
                      for d, k in zip(self.dilation, self.kernel_size)]
            pads = [(total // 2, total - total // 2) for total in totals]
        else:
            pads = [(p, p) for p in self.padding]
        (top, bottom), (left, right) = pads
        return (left, right, top, bottom)

    def as_stock(self, in_channels: int) -> nn.Conv2d:
        """This layer at its active width, fed ``in_channels``, as a frozen
        ``nn.Conv2d`` whose weight views the leading channels of this one.

        Args:
            in_channels (int): The input channels it gets at this width.
        """
        out_channels = self.active_channels
        groups = self._active_groups(in_channels, out_channels)
        conv = nn.Conv2d(in_channels, out_channels, self.kernel_size,
                         self.stride, self.padding, self.dilation, groups,
                         self.bias is not None, self.padding_mode,
                         device='meta')
        conv.weight = _frozen_view(self.weight, out_channels,
                                   in_channels // groups)
        conv.bias = _frozen_view(self.bias, out_channels)
        return conv.train(self.training)

    def forward(self, x: Tensor) -> Tensor:
        out_channels = self.active_channels
        groups = self._active_groups(x.shape[1], out_channels)
        weight, bias = self.weight, self.bias
        if out_channels != self.out_channels or groups != self.groups \
                or x.shape[1] != self.in_channels:
            # A slice's backward fills a zero gradient of the whole weight:
            # skipped at full width.
            weight = weight[:out_channels, :x.shape[1] // groups]
            bias = None if bias is None else bias[:out_channels]
        padding = self.padding
        if self.padding_mode != 'zeros':
            x = F.pad(x, self._pad_amounts(), mode=self.padding_mode)
            padding = 0
        return F.conv2d(x, weight, bias, self.stride, padding, self.dilation,
                        groups)


class SlimmableLinear(SlimmableLayer, nn.Linear):
    """``nn.Linear`` using the leading rows and columns of its weight.

    The input features are those of the input tensor. After a flatten of a
    conv map (VGG), channel-major order makes a channel prefix a feature
    prefix, so the leading columns are the right ones.

    Args:
        in_features (int): Input features at full width.
        out_features (int): Output features at full width.
        bias (bool): Whether to add a learnable bias. Defaults to True.
        channels_per_width (Mapping[float, int], optional): Output features
            at each width. Defaults to None, meaning only width 1.0.
    """

    def __init__(self,
                 in_features: int,
                 out_features: int,
                 bias: bool = True,
                 channels_per_width: Optional[Mapping[float, int]] = None
                 ) -> None:
        super().__init__(in_features, out_features, bias)
        self._init_widths(channels_per_width, out_features)

    @classmethod
    def from_linear(cls, linear: nn.Linear,
                    channels_per_width: Mapping[float, int]
                    ) -> 'SlimmableLinear':
        """Wrap an existing linear layer, taking over its parameters.

        Args:
            linear (nn.Linear): The linear layer.
            channels_per_width (Mapping[float, int]): Output features at
                each width.

        Returns:
            SlimmableLinear: The slimmable linear layer.
        """
        layer = cls(linear.in_features, linear.out_features,
                    linear.bias is not None, channels_per_width)
        adopt_tensors(layer, linear)
        return layer

    def as_stock(self, in_features: int) -> nn.Linear:
        """This layer at its active width, fed ``in_features``, as a frozen
        ``nn.Linear`` whose weight views the leading rows and columns of
        this one.

        Args:
            in_features (int): The input features it gets at this width.
        """
        out_features = self.active_channels
        linear = nn.Linear(in_features, out_features, self.bias is not None,
                           device='meta')
        linear.weight = _frozen_view(self.weight, out_features, in_features)
        linear.bias = _frozen_view(self.bias, out_features)
        return linear.train(self.training)

    def forward(self, x: Tensor) -> Tensor:
        in_features = x.shape[-1]
        if in_features > self.in_features:
            raise ValueError(f'{self!r}: got {in_features} input features, '
                             f'more than the {self.in_features} it has')
        out_features = self.active_channels
        weight, bias = self.weight, self.bias
        if out_features != self.out_features \
                or in_features != self.in_features:
            weight = weight[:out_features, :in_features]
            bias = None if bias is None else bias[:out_features]
        return F.linear(x, weight, bias)
