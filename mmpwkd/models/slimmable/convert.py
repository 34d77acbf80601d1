"""Turn an ordinary network into a slimmable one, in place.

Every ``nn.Conv2d``, ``nn.Linear``, ``nn.BatchNorm1d`` and ``nn.BatchNorm2d``
becomes its width-switchable counterpart (:mod:`.ops`, :mod:`.switchable_bn`)
with the same parameters, so the state-dict keys are unchanged and a stock
checkpoint loads. Parameter-free modules (activations, pools, dropout,
containers, mmcv ``ConvModule`` wrappers) work at any width as they are.
"""
from typing import Dict, Mapping, Optional, Sequence

from torch import nn

from .ops import (SlimmableConv2d, SlimmableLayer, SlimmableLinear,
                  check_channel_table)
from .switchable_bn import SwitchableBatchNorm1d, SwitchableBatchNorm2d
from .width_rule import check_widths, scaled_channels

__all__ = [
    'convert_to_slimmable', 'set_module_width', 'slimmable_layers',
    'channel_tables_of'
]

ChannelTable = Dict[float, int]

# Exact types only: subclasses such as mmcv's Conv2dAdaptivePadding change
# the forward pass, which a slimmable layer would silently drop.
_CONVERTERS = {
    nn.Conv2d: SlimmableConv2d.from_conv,
    nn.Linear: SlimmableLinear.from_linear,
    nn.BatchNorm1d: SwitchableBatchNorm1d.from_bn,
    nn.BatchNorm2d: SwitchableBatchNorm2d.from_bn,
}


def _out_channels(module: nn.Module) -> int:
    if isinstance(module, nn.Conv2d):
        return module.out_channels
    if isinstance(module, nn.Linear):
        return module.out_features
    return module.num_features


def _is_under(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root + '.') for root in roots)


def _check_paths(module: nn.Module, paths: Sequence[str], arg: str) -> None:
    names = dict(module.named_modules())
    for path in paths:
        if path not in names:
            raise ValueError(f'convert_to_slimmable: {arg} names "{path}", '
                             f'which is not a module path of '
                             f'{type(module).__name__}')


def _check_convertible(path: str, module: nn.Module) -> None:
    if isinstance(module, SlimmableLayer):
        raise ValueError(f'convert_to_slimmable: "{path}" is already '
                         'slimmable; convert a network only once')
    params = [name for name, _ in module.named_parameters(recurse=False)]
    if params and type(module) not in _CONVERTERS:
        raise ValueError(
            f'convert_to_slimmable: cannot slice "{path or "<root>"}" '
            f'({type(module).__name__}), which has parameters {params}; '
            'only nn.Conv2d, nn.Linear, nn.BatchNorm1d and nn.BatchNorm2d '
            'can be slimmed (parameter-free modules are kept as they are)')


def _check_groups(path: str, module: nn.Module,
                  table: Mapping[float, int]) -> None:
    """A grouped convolution keeps its channels per group (the number of
    groups scales), so its output channels at every width are a multiple
    of them; found here, at build, rather than at the first batch."""
    groups = getattr(module, 'groups', 1)
    if not isinstance(module, nn.Conv2d) or groups == 1:
        return
    per_group = module.out_channels // groups
    bad = {width: channels for width, channels in table.items()
           if channels % per_group}
    if bad:
        raise ValueError(
            f'convert_to_slimmable: "{path}" is a grouped convolution '
            f'({groups} groups of {per_group} output channels), which '
            'keeps its channels per group at every width, so its output '
            f'channels must be a multiple of {per_group}; the widths '
            f'{sorted(bad)} give {[bad[w] for w in sorted(bad)]}. Choose '
            'widths (or a divisor) that keep whole groups, or give '
            f'channel_tables["{path}"]')


def convert_to_slimmable(
        module: nn.Module,
        widths: Sequence[float],
        divisor: int = 1,
        fixed_output: Sequence[str] = (),
        channel_tables: Optional[Mapping[str, Mapping[float, int]]] = None
) -> nn.Module:
    """Replace the sliceable layers of ``module`` by slimmable ones.

    The output channels of each layer at width ``w`` are, by priority: all
    of them if the layer is at or under a path of ``fixed_output``; those of
    ``channel_tables[path]`` if given; ``scaled_channels(C, w, divisor)``
    otherwise. Input channels follow the input tensor.

    Args:
        module (nn.Module): The network; modified in place.
        widths (Sequence[float]): Width multipliers, ascending, ending
            with 1.0.
        divisor (int): Divisor of :func:`scaled_channels`. Defaults to 1.
        fixed_output (Sequence[str]): Module paths (relative to ``module``)
            whose layers keep all output channels at every width, e.g. the
            classifier's final ``'head.fc'``. Defaults to ().
        channel_tables (Mapping[str, Mapping[float, int]], optional): Output
            channels per width of given layer paths, overriding the rule.
            Defaults to None.

    Returns:
        nn.Module: ``module``, or its replacement if ``module`` itself is a
        layer.

    Raises:
        ValueError: For bad widths or paths, a module that cannot be sliced
            (one with parameters that is not a supported layer, such as
            LayerNorm or a ViT), or an inconsistent channel table.
    """
    widths = check_widths(widths)
    channel_tables = dict(channel_tables or {})
    _check_paths(module, fixed_output, 'fixed_output')
    _check_paths(module, list(channel_tables), 'channel_tables')
    for path, child in list(module.named_modules()):
        _check_convertible(path, child)
        convert = _CONVERTERS.get(type(child))
        if convert is None:
            continue
        full = _out_channels(child)
        if _is_under(path, fixed_output):
            table = {width: full for width in widths}
        elif path in channel_tables:
            table = dict(channel_tables.pop(path))
        else:
            table = {
                width: scaled_channels(full, width, divisor)
                for width in widths
            }
        if set(table) != set(widths):
            raise ValueError(f'convert_to_slimmable: the channel table of '
                             f'"{path}" has widths {sorted(table)}, '
                             f'expected {list(widths)}')
        check_channel_table(table, full, f'convert_to_slimmable: "{path}"')
        _check_groups(path, child, table)
        layer = convert(child, table)
        if not path:
            return layer
        parent_path, _, name = path.rpartition('.')
        setattr(module.get_submodule(parent_path), name, layer)
    if channel_tables:
        raise ValueError('convert_to_slimmable: channel_tables names modules '
                         f'that are not sliceable layers: '
                         f'{sorted(channel_tables)}')
    return module


def slimmable_layers(module: nn.Module) -> Dict[str, SlimmableLayer]:
    """The slimmable layers of ``module`` by module path.

    Args:
        module (nn.Module): A converted network.

    Returns:
        dict[str, SlimmableLayer]: Path to layer, in module order.
    """
    return {
        path: child
        for path, child in module.named_modules()
        if isinstance(child, SlimmableLayer)
    }


def set_module_width(module: nn.Module, width: float) -> None:
    """Switch every slimmable layer of ``module`` to ``width``.

    Args:
        module (nn.Module): A converted network.
        width (float): A width every layer supports.
    """
    for layer in slimmable_layers(module).values():
        layer.set_width(width)


def channel_tables_of(narrow: Mapping[float, nn.Module],
                      prefix: str = '') -> Dict[str, ChannelTable]:
    """Channel tables read from ordinary networks, one per width.

    The networks must have the same module paths (the same architecture at
    different widths); the table of each sliceable layer lists its output
    channels in each network.

    Args:
        narrow (Mapping[float, nn.Module]): Network at each width.
        prefix (str): Prefix of the returned paths, e.g. ``'backbone.'``.
            Defaults to ''.

    Returns:
        dict[str, dict[float, int]]: ``prefix + path`` to channels per width.

    Raises:
        ValueError: If the networks do not share their layer paths.
    """
    layers = {
        width: {
            path: _out_channels(child)
            for path, child in network.named_modules()
            if type(child) in _CONVERTERS
        }
        for width, network in narrow.items()
    }
    paths = layers[max(layers)]
    for width, found in layers.items():
        if set(found) != set(paths):
            raise ValueError(f'channel_tables_of: the network at width '
                             f'{width} has other layers than the full one: '
                             f'{sorted(set(found) ^ set(paths))[:5]}')
    return {
        prefix + path: {width: found[path]
                        for width, found in layers.items()}
        for path in paths
    }
