"""Switchable batch normalisation of a slimmable network.

Yu et al., "Slimmable Neural Networks", ICLR 2019: the sub-networks of
different widths see different feature distributions, so each width keeps
private BN statistics and affine parameters, while convolutions share their
weights. The full-width BN is the module itself, so a stock checkpoint loads
unchanged and width 1.0 is exactly the original BN.
"""
from typing import Dict, List, Mapping, Optional, Union

import torch
from torch import Tensor, nn

from .ops import SlimmableLayer, adopt_tensors
from .width_rule import width_key

__all__ = [
    'SwitchableBatchNorm', 'SwitchableBatchNorm1d', 'SwitchableBatchNorm2d',
    'widths_missing_from'
]

_BN_STATE_NAMES = ('weight', 'bias', 'running_mean', 'running_var',
                   'num_batches_tracked')


class SwitchableBatchNorm(SlimmableLayer):
    """Base of the switchable BNs: private statistics per width.

    The module's own parameters and buffers are the full-width BN, so its
    state-dict keys are those of a stock BN; the narrower widths live in
    ``narrow_bns`` (keys like ``'0_25'``), initialised from the leading slice
    of the full-width BN. Loading a stock checkpoint, which has no narrow
    keys, initialises the narrow BNs from the loaded full-width values (a
    ``load_state_dict`` pre-hook, which mmengine's loader runs too).
    """

    _narrow_cls: type

    def __init__(self,
                 num_features: int,
                 eps: float = 1e-5,
                 momentum: Optional[float] = 0.1,
                 affine: bool = True,
                 track_running_stats: bool = True,
                 channels_per_width: Optional[Mapping[float, int]] = None
                 ) -> None:
        super().__init__(num_features, eps, momentum, affine,
                         track_running_stats)
        self._init_widths(channels_per_width, num_features)
        self._narrow_key: Optional[str] = None  # the full width's BN
        self._init_narrow_bns()
        self.reset_narrow_bns()
        self.register_load_state_dict_pre_hook(_narrow_keys_from_full)

    def _init_narrow_bns(self) -> None:
        self.narrow_bns = nn.ModuleDict({
            width_key(width): self._narrow_cls(
                channels,
                eps=self.eps,
                momentum=self.momentum,
                affine=self.affine,
                track_running_stats=self.track_running_stats)
            for width, channels in self.channels_per_width.items()
            if width != 1
        })

    @classmethod
    def from_bn(cls, bn: Union[nn.BatchNorm1d, nn.BatchNorm2d],
                channels_per_width: Mapping[float, int]
                ) -> 'SwitchableBatchNorm':
        """Wrap an existing BN; the narrow BNs start as slices of it.

        Args:
            bn (nn.BatchNorm1d | nn.BatchNorm2d): The batch norm.
            channels_per_width (Mapping[float, int]): Channels at each
                width.

        Returns:
            SwitchableBatchNorm: The switchable BN, on the device and with
            the dtype of ``bn``.
        """
        layer = cls(bn.num_features, bn.eps, bn.momentum, bn.affine,
                    bn.track_running_stats, channels_per_width)
        adopt_tensors(layer, bn)
        reference = next(bn.parameters(), None)
        if reference is None:
            reference = next(bn.buffers(), None)
        if reference is not None:
            layer.narrow_bns.to(reference.device, reference.dtype)
        for narrow in layer.narrow_bns.values():
            for param, full in zip(narrow.parameters(), bn.parameters()):
                param.requires_grad_(full.requires_grad)
        layer.reset_narrow_bns()
        return layer

    @torch.no_grad()
    def reset_narrow_bns(self) -> None:
        """Copy the leading slice of the full-width BN into every narrow
        BN (affine parameters and running statistics)."""
        full = self.state_at(1.0)
        for width, channels in self.channels_per_width.items():
            if width == 1:
                continue
            narrow = self.narrow_bns[width_key(width)]
            for name, tensor in narrow.state_dict().items():
                source = full[name]
                tensor.copy_(source if source.dim() == 0 else
                             source[:channels])

    def state_at(self, width: float) -> Dict[str, Tensor]:
        """The BN state used at ``width``, under stock key names.

        Args:
            width (float): A width of ``channels_per_width``.

        Returns:
            dict[str, Tensor]: ``weight``, ``bias``, ``running_mean``, ...
            (those the BN has), not copied.
        """
        if width not in self.channels_per_width:
            raise ValueError(f'{type(self).__name__}: width {width!r} is not '
                             f'one of {tuple(self.channels_per_width)}')
        module = self if width == 1 else self.narrow_bns[width_key(width)]
        state = module.state_dict(keep_vars=True)
        return {
            name: tensor.detach()
            for name, tensor in state.items() if '.' not in name
        }

    def set_width(self, width: float) -> None:
        """Switch to ``width``, and to the BN that holds its statistics.

        Args:
            width (float): A width of ``channels_per_width``.
        """
        super().set_width(width)
        self._narrow_key = None if width == 1 else width_key(width)

    def as_stock(self) -> nn.Module:
        """The BN of the active width as a stock module: a narrow width's
        own BN (that very module, not a copy), or at width 1.0 a new stock
        BN holding this one's tensors."""
        if self._narrow_key is not None:
            return self.narrow_bns[self._narrow_key]
        bn = self._narrow_cls(self.num_features, self.eps, self.momentum,
                              self.affine, self.track_running_stats,
                              device='meta')
        adopt_tensors(bn, self)
        return bn

    def forward(self, x: Tensor) -> Tensor:
        if self._narrow_key is None:
            return super().forward(x)
        return self.narrow_bns[self._narrow_key](x)


def _holds_width(state: Mapping[str, Tensor], prefix: str,
                 width: float) -> bool:
    """Whether ``state`` has the narrow BN of ``width`` of the switchable
    BN at ``prefix``."""
    narrow_prefix = f'{prefix}narrow_bns.{width_key(width)}.'
    return any(narrow_prefix + name in state for name in _BN_STATE_NAMES)


def _narrow_keys_from_full(module: SwitchableBatchNorm, state_dict: dict,
                           prefix: str, *args) -> None:
    """A ``load_state_dict`` pre-hook: a checkpoint without the narrow BNs
    of a width (a stock one) gives them the leading slice of its full-width
    BN. torch and mmengine let a module edit ``state_dict`` before its
    children (the narrow BNs) read it."""
    for width, channels in module.channels_per_width.items():
        if width == 1 or _holds_width(state_dict, prefix, width):
            continue
        narrow_prefix = f'{prefix}narrow_bns.{width_key(width)}.'
        for name in _BN_STATE_NAMES:
            full = state_dict.get(prefix + name)
            if full is not None:
                state_dict[narrow_prefix + name] = (
                    full if full.dim() == 0 else full[:channels])


class SwitchableBatchNorm2d(SwitchableBatchNorm, nn.BatchNorm2d):
    """``nn.BatchNorm2d`` with a private BN per narrower width.

    At width 1.0 it is exactly the original BN. See
    :class:`SwitchableBatchNorm` for the narrow BNs and checkpoints.

    Args:
        num_features (int): Channels at full width.
        eps (float): As in ``nn.BatchNorm2d``. Defaults to 1e-5.
        momentum (float, optional): As in ``nn.BatchNorm2d``.
            Defaults to 0.1.
        affine (bool): As in ``nn.BatchNorm2d``. Defaults to True.
        track_running_stats (bool): As in ``nn.BatchNorm2d``.
            Defaults to True.
        channels_per_width (Mapping[float, int], optional): Channels at each
            width. Defaults to None, meaning only width 1.0.
    """

    _narrow_cls = nn.BatchNorm2d


class SwitchableBatchNorm1d(SwitchableBatchNorm, nn.BatchNorm1d):
    """``nn.BatchNorm1d`` with a private BN per narrower width.

    Args:
        num_features (int): Features at full width.
        eps (float): As in ``nn.BatchNorm1d``. Defaults to 1e-5.
        momentum (float, optional): As in ``nn.BatchNorm1d``.
            Defaults to 0.1.
        affine (bool): As in ``nn.BatchNorm1d``. Defaults to True.
        track_running_stats (bool): As in ``nn.BatchNorm1d``.
            Defaults to True.
        channels_per_width (Mapping[float, int], optional): Features at each
            width. Defaults to None, meaning only width 1.0.
    """

    _narrow_cls = nn.BatchNorm1d


def widths_missing_from(model: nn.Module,
                        state: Mapping[str, Tensor]) -> List[float]:
    """Widths below 1.0 whose switchable BNs a state dict does not hold.

    Convolutions share their weights across widths, so a checkpoint
    trained at a width is told apart by that width's private BNs
    (``<path>.narrow_bns.<width key>.*``): a plain classifier's checkpoint
    has none, a slimmable one has those of the widths it was trained at.

    Args:
        model (nn.Module): A slimmable network.
        state (Mapping[str, Tensor]): A state dict for it (a checkpoint's).

    Returns:
        list[float]: Ascending widths below 1.0 for which some switchable
        BN of ``model`` has no key in ``state``; empty for a model without
        switchable BNs.
    """
    missing = set()
    for path, module in model.named_modules():
        if not isinstance(module, SwitchableBatchNorm):
            continue
        prefix = f'{path}.' if path else ''
        missing.update(width for width in module.channels_per_width
                       if width != 1
                       and not _holds_width(state, prefix, width))
    return sorted(missing)
