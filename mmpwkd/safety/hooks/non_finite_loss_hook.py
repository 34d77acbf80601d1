"""Stop training at the first NaN or Inf loss, before it reaches the weights.

One non-finite loss term makes every gradient non-finite, and an optimizer
step with them writes NaN into the weights; every checkpoint saved after
that is lost. mmengine's hooks run before and after a whole training step
(forward, backward, optimizer step), which is too late, so this hook checks
the loss dict where the model returns it: a forward hook on the model sees
``forward(mode='loss')``'s output before ``parse_losses``, the backward pass
and the optimizer step. The weights stay those of the last good iteration,
and the last checkpoint, written before, is intact and resumable.
"""
import os.path as osp
from typing import Any, Dict, List, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from mmpwkd.registry import HOOKS

__all__ = ['NonFiniteLossHook']

DATA_BATCH = Optional[Any]


def _loss_tensors(outputs: Dict[str, Any]) -> Dict[str, List[Tensor]]:
    """The loss terms of a loss dict, as mmengine's ``parse_losses`` reads
    them: keys containing ``'loss'``, a tensor or a list of tensors."""
    terms = {}
    for key, value in outputs.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        tensors = [v for v in values if isinstance(v, Tensor)]
        if 'loss' in key and tensors:
            terms[key] = tensors
    return terms


def _format(tensors: List[Tensor]) -> str:
    values = [t.detach().float() for t in tensors]
    if all(v.numel() == 1 for v in values):
        shown = [f'{v.item():g}' for v in values]
        return shown[0] if len(shown) == 1 else f'[{", ".join(shown)}]'
    bad = sum(int((~torch.isfinite(v)).sum()) for v in values)
    return f'{bad} non-finite elements'


def _latest_checkpoint(work_dir: str) -> Optional[str]:
    """The path CheckpointHook last recorded in ``work_dir``, if any."""
    record = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None
    with open(record) as file:
        return file.read().strip() or None


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Raise ``FloatingPointError`` when a loss term is NaN or Inf.

    Every term whose key contains ``loss`` (those mmengine sums) is checked
    at each forward during a training iteration, before the backward pass
    and the optimizer step. The error names the terms and their values, the
    iteration, and the checkpoint to resume from.

    In a distributed run, the ranks whose losses are non-finite raise; the
    launcher (``torchrun``, ``srun``) then stops the others.
    """

    def __init__(self) -> None:
        self._handle: Optional[RemovableHandle] = None
        self._runner = None
        self._batch_idx: Optional[int] = None

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        self._runner = runner
        self._handle = model.register_forward_hook(self._check)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: DATA_BATCH = None) -> None:
        self._batch_idx = batch_idx

    def after_train_iter(self,
                         runner,
                         batch_idx: int,
                         data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        self._batch_idx = None

    def after_train(self, runner) -> None:
        self._remove()

    def _remove(self) -> None:
        if self._handle is not None:
            self._handle.remove()
        self._handle, self._runner, self._batch_idx = None, None, None

    def _check(self, module: nn.Module, inputs: tuple, outputs: Any) -> None:
        # Only the loss dict of a training iteration (not predictions).
        if self._batch_idx is None or not isinstance(outputs, dict):
            return
        terms = _loss_tensors(outputs)
        if not terms:
            return
        flags = torch.stack([
            torch.isfinite(t.detach()).all() for ts in terms.values()
            for t in ts
        ])
        if bool(flags.all()):
            return
        bad = {
            key: _format(tensors)
            for key, tensors in terms.items()
            if not all(bool(torch.isfinite(t.detach()).all()) for t in tensors)
        }
        message = self._message(bad)
        self._remove()
        raise FloatingPointError(message)

    def _message(self, bad: Dict[str, str]) -> str:
        runner = self._runner
        where = f'iteration {runner.iter + 1}'
        if isinstance(runner.train_loop, EpochBasedTrainLoop):
            where += (f' (epoch {runner.epoch + 1}, batch '
                      f'{self._batch_idx + 1})')
        terms = ', '.join(f'{key}={value}' for key, value in bad.items())
        latest = _latest_checkpoint(runner.work_dir)
        resume = (f'the last checkpoint is {latest}: resume with --resume '
                  f'{latest}' if latest else
                  f'no checkpoint was saved in {runner.work_dir} yet')
        return (f'Non-finite loss at {where}: {terms}. Training stopped '
                'before the backward pass and the optimizer step, so the '
                f'weights were not updated; {resume}. Lower the learning '
                'rate, check the data, or add gradient clipping '
                '(optim_wrapper.clip_grad).')
