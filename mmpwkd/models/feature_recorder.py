"""Forward hooks that record named sub-modules' outputs during a forward:
the one way the distiller reads logits and features of student and teacher,
and a slimmable classifier the logits of each width."""
import difflib
from contextlib import contextmanager
from functools import partial
from typing import Dict, Iterator, Sequence

from torch import Tensor, nn

__all__ = ['FeatureRecorder', 'resolve_module']


def resolve_module(model: nn.Module, path: str, owner: str) -> nn.Module:
    """The sub-module at ``path``, or an error listing the closest paths.

    Args:
        model (nn.Module): Where to look.
        path (str): Dotted module path, e.g. ``'backbone.layer3'``.
        owner (str): Config key to name in the error, e.g.
            ``'distill_losses.loss_at.student'``.
    """
    modules = dict(model.named_modules())
    if path in modules and path != '':
        return modules[path]
    close = difflib.get_close_matches(path, modules, n=5, cutoff=0.5)
    hint = f'; closest: {close}' if close else ''
    raise ValueError(
        f'{owner}={path!r} is not a module path of the model{hint}')


class FeatureRecorder:
    """Records the outputs of named sub-modules while :meth:`record` is open.

    The hook handles are kept and removed by :meth:`remove`. A module that
    runs twice in one recorded forward is an error: its output would be
    ambiguous.

    Args:
        model (nn.Module): The model that owns the modules.
        paths (Dict[str, str]): Module path to the config key that named it
            (used in error messages).
    """

    def __init__(self, model: nn.Module, paths: Dict[str, str]) -> None:
        self._outputs: Dict[str, Tensor] = {}
        self._recording = False
        self._handles = [
            resolve_module(model, path, owner).register_forward_hook(
                partial(self._record, path))
            for path, owner in paths.items()
        ]

    def _record(self, path: str, module: nn.Module, inputs: Sequence,
                output: Tensor) -> None:
        if not self._recording:
            return
        if path in self._outputs:
            raise RuntimeError(
                f'module {path!r} ran more than once in one forward; '
                'record a module that runs once (e.g. a parent block)')
        if not isinstance(output, Tensor):
            raise TypeError(
                f'module {path!r} returns {type(output).__name__}, expected '
                'a Tensor; record one of its sub-modules instead')
        self._outputs[path] = output

    @contextmanager
    def record(self) -> Iterator[Dict[str, Tensor]]:
        """Record during the block; yields the (filled-in) output dict."""
        self._outputs = {}
        self._recording = True
        try:
            yield self._outputs
        finally:
            self._recording = False

    def remove(self) -> None:
        """Remove the hooks."""
        for handle in self._handles:
            handle.remove()
        self._handles = []
