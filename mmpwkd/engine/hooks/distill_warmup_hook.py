"""Warm the distill losses up at the start of training.

A strong distill loss on a student that still predicts at random can
swamp the label loss; DKD's authors ramp its weight up linearly over the
first 20 of 240 epochs (Zhao et al., "Decoupled Knowledge Distillation",
CVPR 2022). This hook does the same for every distill loss of a
:class:`PWKDDistiller`, once per run (not per PWKD stage), through
:meth:`PWKDDistiller.set_distill_scale`.
"""
from typing import Any, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmpwkd.registry import HOOKS
from mmpwkd.utils.arg_checks import check_fraction

__all__ = ['DistillWarmupHook']

DATA_BATCH = Optional[Any]


@HOOKS.register_module()
class DistillWarmupHook(Hook):
    """Scale the distill losses by ``min(1, (iter + 1) / warmup_iters)``.

    Args:
        ratio (float): Share of the training iterations over which the
            scale rises to 1, in (0, 1]. Defaults to 0.08 (DKD's 20 of 240
            epochs).
    """

    priority = 'HIGH'

    def __init__(self, ratio: float = 0.08) -> None:
        self.ratio = check_fraction('DistillWarmupHook', 'ratio', ratio)
        self._iters = 1

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model

    def before_train(self, runner) -> None:
        if not hasattr(self._model(runner), 'set_distill_scale'):
            raise TypeError('DistillWarmupHook needs a model with '
                            'set_distill_scale (PWKDDistiller), got '
                            f'{type(self._model(runner)).__name__}')
        self._iters = max(1, round(self.ratio * runner.max_iters))

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        scale = min(1.0, (runner.iter + 1) / self._iters)
        self._model(runner).set_distill_scale(scale)
        runner.message_hub.update_scalar('train/distill_scale', scale)
