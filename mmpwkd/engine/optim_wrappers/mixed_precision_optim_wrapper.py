"""Mixed precision without loss scaling for bfloat16.

mmengine's ``AmpOptimWrapper`` scales the loss with a ``GradScaler`` for
every dtype. Loss scaling exists because float16's exponent range lets small
gradients underflow to zero; bfloat16 has float32's exponent range, so the
scaler only costs time: scale, unscale, an inf/NaN check and the host-device
sync that reads it, every step. This wrapper autocasts to
bfloat16 and steps the optimizer directly; float16 keeps mmengine's scaler.
"""
from typing import Optional, Union

import torch
from mmengine.device import get_device
from mmengine.optim import AmpOptimWrapper, OptimWrapper

from mmpwkd.registry import OPTIM_WRAPPERS

__all__ = ['MixedPrecisionOptimWrapper']

# Devices on which mmengine's AmpOptimWrapper (and its GradScaler) runs.
_SCALER_DEVICES = ('cuda', 'npu', 'mlu', 'musa')


def _cast_dtype(dtype: Union[str, torch.dtype, None]) -> Optional[torch.dtype]:
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    if dtype not in AmpOptimWrapper.valid_dtypes:
        raise ValueError(
            f'optim_wrapper.dtype must be one of '
            f'{AmpOptimWrapper.valid_dtypes} or a torch.dtype, got {dtype!r}')
    return getattr(torch, dtype)


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(AmpOptimWrapper):
    """mmengine's ``AmpOptimWrapper``, without a ``GradScaler`` for
    bfloat16.

    With ``dtype='bfloat16'`` the step is :class:`OptimWrapper`'s under
    bfloat16 autocast, on any device autocast supports (the CPU included),
    and ``loss_scaler`` is None. Any other dtype (float16 by default) is
    mmengine's ``AmpOptimWrapper`` unchanged, with its dynamic loss scale,
    which needs a GPU. A bfloat16 run resumes from a checkpoint that holds
    a loss scale (it is dropped) and saves none.

    Args:
        loss_scale (float | str | dict): ``GradScaler`` settings, used for
            float16 only. Defaults to 'dynamic'.
        dtype (str | torch.dtype, optional): Autocast dtype; None is
            autocast's default (float16 on a GPU). Defaults to None.
        use_fsdp (bool): ``ShardedGradScaler`` for FSDP (float16 only).
            Defaults to False.
        **kwargs: :class:`OptimWrapper`'s arguments (``optimizer``,
            ``accumulative_counts``, ``clip_grad``).
    """

    def __init__(self,
                 loss_scale: Union[str, float, dict] = 'dynamic',
                 dtype: Union[str, torch.dtype, None] = None,
                 use_fsdp: bool = False,
                 **kwargs) -> None:
        cast_dtype = _cast_dtype(dtype)
        if cast_dtype is torch.bfloat16:
            # Skips AmpOptimWrapper.__init__: it builds the scaler and
            # refuses the CPU, where bfloat16 autocast runs too.
            OptimWrapper.__init__(self, **kwargs)
            self.cast_dtype = cast_dtype
            self.loss_scaler = None
            return
        device = get_device()
        if device not in _SCALER_DEVICES:
            raise ValueError(
                'optim_wrapper.dtype: mixed precision with '
                f'{cast_dtype or "float16 (the default)"} needs loss '
                f'scaling, which runs on {"/".join(_SCALER_DEVICES)}, but '
                f"this machine has {device}; set optim_wrapper.dtype="
                "'bfloat16' (no loss scaling, runs on the CPU)")
        super().__init__(
            loss_scale=loss_scale, dtype=dtype, use_fsdp=use_fsdp, **kwargs)

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """Backward of the loss, scaled only for float16.

        Args:
            loss (torch.Tensor): The loss of this iteration.
            **kwargs: Passed to :meth:`torch.Tensor.backward`.
        """
        if self.loss_scaler is None:
            OptimWrapper.backward(self, loss, **kwargs)
        else:
            super().backward(loss, **kwargs)

    def step(self, **kwargs) -> None:
        """Clip (if configured) and step; no unscaling or inf check for
        bfloat16.

        Args:
            **kwargs: Passed to :meth:`torch.optim.Optimizer.step`.
        """
        if self.loss_scaler is None:
            OptimWrapper.step(self, **kwargs)
        else:
            super().step(**kwargs)

    def state_dict(self) -> dict:
        """The optimizer's state, and the loss scale for float16."""
        if self.loss_scaler is None:
            return OptimWrapper.state_dict(self)
        return super().state_dict()

    def load_state_dict(self, state_dict: dict) -> None:
        """Load the optimizer's state (and the loss scale for float16).

        Args:
            state_dict (dict): From :meth:`state_dict`; a loss scale in it
                is dropped for bfloat16, which does not scale.
        """
        if self.loss_scaler is None:
            state_dict = {
                key: value
                for key, value in state_dict.items() if key != 'loss_scaler'
            }
            OptimWrapper.load_state_dict(self, state_dict)
        else:
            super().load_state_dict(state_dict)
