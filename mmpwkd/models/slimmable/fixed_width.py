"""A frozen slimmable network at one width, in stock torch layers.

A PWKD teacher is frozen and runs at one width for a whole stage. Its
slimmable layers work out their active channels at every forward; the copy
made here has, in their place, stock ``nn.Conv2d`` / ``nn.Linear`` / BN
layers of that width's shapes whose weights *view* the teacher's (no copy:
weights loaded into the teacher in place, as ``load_state_dict`` does, are
what the copy computes with). The arithmetic is the same, so the outputs
are identical; a teacher forward inside a stage simply runs stock layers.
"""
import copy
import warnings
from functools import partial
from itertools import chain
from typing import (Any, Callable, Dict, NamedTuple, Optional, Sequence,
                    Tuple)

from torch import Tensor, nn

from .convert import slimmable_layers
from .ops import SlimmableConv2d, SlimmableLinear
from .switchable_bn import SwitchableBatchNorm

__all__ = ['FixedWidth', 'fixed_width_copy']


class FixedWidth(NamedTuple):
    """A copy of a slimmable network, in stock layers, at one width.

    ``layer`` is a slimmable layer of the network and ``view`` the copy's
    view of its weight: while ``view.data_ptr() == layer.weight.data_ptr()``
    they share memory and the copy computes with the network's weights.
    Moving, casting or replacing the weights (``.to()``, ``.half()``,
    ``load_state_dict(assign=True)``) ends that: the copy is out of date.
    """
    model: nn.Module
    layer: nn.Module
    view: Tensor


def _input_width(seen: Dict[str, int], path: str, module: nn.Module,
                 args: tuple) -> None:
    channels = args[0].shape[-1 if isinstance(module, nn.Linear) else 1]
    if seen.setdefault(path, channels) != channels:
        seen[path] = -1  # fed different widths: no single shape


def fixed_width_copy(model: nn.Module, forward: Callable[[], Any],
                     keep: Sequence[object] = ()
                     ) -> Tuple[Any, Optional[FixedWidth]]:
    """Run ``forward`` (a forward of ``model``), then copy ``model`` at its
    active width with its slimmable layers replaced by stock ones.

    The forward finds the input channels of each slimmable convolution
    and linear layer at this width. The copy's other modules hold the
    model's own tensors, and copies of its hooks; a hook bound to an object
    of ``keep`` (a feature recorder) is bound to that same object, so that
    it sees the copy's forwards as it saw the model's.

    Args:
        model (nn.Module): A frozen network with slimmable layers.
        forward (Callable[[], Any]): Runs ``model`` once.
        keep (Sequence[object]): Objects the copy shares with ``model``
            rather than copies. Defaults to ().

    Returns:
        tuple: What ``forward`` returned, and the copy (None when a layer
        was fed inputs of different widths in one forward, so that it has
        no single shape, when none ran, or when the model holds something
        that cannot be copied; the last with a warning).
    """
    layers = slimmable_layers(model)
    seen: Dict[str, int] = {}
    handles = [
        layer.register_forward_pre_hook(partial(_input_width, seen, path))
        for path, layer in layers.items()
        if isinstance(layer, (SlimmableConv2d, SlimmableLinear))
    ]
    try:
        result = forward()
    finally:
        for handle in handles:
            handle.remove()
    if not seen or -1 in seen.values():
        return result, None
    shared = chain(model.parameters(), model.buffers(), keep)
    memo = {id(thing): thing for thing in shared}
    for path, layer in layers.items():
        if isinstance(layer, SwitchableBatchNorm):
            memo[id(layer)] = layer.as_stock()
        elif path in seen:  # a layer that did not run is left as it is
            memo[id(layer)] = layer.as_stock(seen[path])
    try:
        fixed = copy.deepcopy(model, memo)
    except (TypeError, copy.Error) as error:
        warnings.warn(f'{type(model).__name__} keeps running its '
                      'slimmable layers: it holds an object that cannot be '
                      f'copied ({error})', stacklevel=2)
        return result, None
    path = next(iter(seen))
    return result, FixedWidth(fixed, layers[path],
                              memo[id(layers[path])].weight)
