"""Train and evaluate in the channels-last memory format.

On GPUs with tensor cores, cuDNN runs NHWC convolutions without the layout
transposes that NCHW needs, so mixed-precision CNN training is faster in
channels-last. A convolution returns channels-last output when its weight
is channels-last, so converting the model is enough: the images from the
data preprocessor take the weights' layout at the first convolution.
"""
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpwkd.registry import HOOKS


def is_channels_last(model: torch.nn.Module) -> bool:
    """Whether every 4-d parameter of ``model`` is stored channels-last."""
    return all(
        param.is_contiguous(memory_format=torch.channels_last)
        for param in model.parameters() if param.dim() == 4)


@HOOKS.register_module()
class ChannelsLastHook(Hook):
    """Convert the model to ``torch.channels_last`` before the run starts.

    A model wrapped in DistributedDataParallel must be converted before it
    is wrapped, since DDP lays its gradient buckets out from the parameters
    it was given: set ``model_wrapper_cfg=dict(type='mmpwkd.DeviceAwareDDP',
    channels_last=True)`` (``tools/train.py --channels-last`` sets both).
    """

    priority = 'VERY_HIGH'

    def before_run(self, runner) -> None:
        model = runner.model
        if is_model_wrapper(model):
            if not is_channels_last(model.module):
                raise ValueError(
                    'ChannelsLastHook: the model is wrapped in '
                    f'{type(model).__name__} but its parameters are not '
                    'channels-last; expected model_wrapper_cfg.channels_last'
                    '=True (DeviceAwareDDP), which converts before wrapping')
            return
        model.to(memory_format=torch.channels_last)
        runner.logger.info('ChannelsLastHook: model converted to '
                           'torch.channels_last')
