"""Check that the training images have the channels the models take.

A grayscale data set fed to an RGB model (or the reverse) fails deep in a
convolution with a message that names neither the config nor the data, and
a slimmable first convolution, which reads the leading input channels of
its weight, runs on one channel of three without complaint. This hook
checks the first convolution that each classifier's backbone runs against
the images it receives, on the first training batch, before any update.
"""
from functools import partial
from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from mmpwkd.registry import HOOKS

__all__ = ['InputChannelsHook', 'classifiers']


def classifiers(model: nn.Module, path: str = 'model') -> Dict[str, nn.Module]:
    """The outermost sub-modules of ``model`` that have a ``backbone``.

    Args:
        model (nn.Module): A classifier, or a model holding classifiers
            (a distiller's ``student`` and ``teacher``).
        path (str): Config key of ``model``. Defaults to ``'model'``.

    Returns:
        dict[str, nn.Module]: Config key (``'model.student'``) to module.
    """
    if isinstance(getattr(model, 'backbone', None), nn.Module):
        return {path: model}
    found: Dict[str, nn.Module] = {}
    for name, child in model.named_children():
        found.update(classifiers(child, f'{path}.{name}'))
    return found


class _FirstConvCheck:
    """Forward pre-hooks on a backbone and its convolutions that compare the
    first convolution it runs with the images it got, once: the first
    convolution removes them all (a backbone without convolutions gets
    none), so no later iteration enters them."""

    def __init__(self, backbone: nn.Module, path: str) -> None:
        self.path = path
        self.image: Optional[Tensor] = None
        self.handles: List[RemovableHandle] = [
            conv.register_forward_pre_hook(partial(self._check, name))
            for name, conv in backbone.named_modules()
            if isinstance(conv, nn.Conv2d)
        ]
        if self.handles:
            self.handles.append(backbone.register_forward_pre_hook(self._arm))

    def _arm(self, module: nn.Module, inputs: Sequence) -> None:
        if inputs and isinstance(inputs[0], Tensor) and inputs[0].dim() == 4:
            self.image = inputs[0]

    def _check(self, name: str, conv: nn.Conv2d, inputs: Sequence) -> None:
        if self.image is None:
            return
        image = tuple(self.image.shape)
        self.remove()
        if inputs[0].shape[1] == conv.in_channels:
            return
        raise ValueError(
            f'{self.path}.{name} takes in_channels={conv.in_channels}, but '
            f'the training images have {image[1]} channels (batch {image} '
            'after the data_preprocessor). Make '
            'them agree: the backbone in_channels, or the pipeline (e.g. '
            "LoadImageFromFile(color_type='grayscale')) and the "
            'data_preprocessor (one mean/std value per channel; to_rgb '
            'only for 3 channels).')

    def remove(self) -> None:
        """Remove the hooks."""
        for handle in self.handles:
            handle.remove()
        self.handles, self.image = [], None


@HOOKS.register_module()
class InputChannelsHook(Hook):
    """Check the image channels against each classifier's first convolution.

    On the first training batch, the first convolution that the backbone of
    each classifier in the model runs (a distiller's student and teacher, or
    the model itself) must take as many channels as the images have. The
    check sits in forward pre-hooks, so it costs no extra forward and raises
    ``ValueError`` before the convolution runs, naming its module path,
    its ``in_channels`` and the images' channels.
    """

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        for path, module in classifiers(model).items():
            _FirstConvCheck(module.backbone, f'{path}.backbone')
