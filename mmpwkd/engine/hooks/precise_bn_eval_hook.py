"""Score a model with BatchNorm statistics that match its weights.

BatchNorm's running statistics are an exponential average over the last
few dozen training batches, taken while the weights moved. After a short
run, or soon after a learning-rate restart, they describe weights the
model no longer has, and validation swings by tens of points from one
epoch to the next although the weights improve steadily. mmpretrain's
``PreciseBNHook`` re-estimates the statistics on training data with the
weights fixed (Wu and Johnson, "Rethinking 'Batch' in BatchNorm", 2021),
but writes them into the model that goes on training and into its
checkpoints, and draws from the random states that the next epoch's
augmentations use.

This hook scores with precise statistics and leaves the run untouched:
before each validation (and test) it re-estimates the statistics with
mmpretrain's ``update_bn_stats`` on the training data, and afterwards puts
back the statistics and the random states the run had. Training, its
checkpoints and a resumed run are the same as without the hook; only the
reported accuracy changes.
"""
from typing import Dict, Optional

import torch
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.engine.hooks.precise_bn_hook import update_bn_stats
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.data import DataLoader

from mmpwkd.registry import HOOKS
from mmpwkd.utils.arg_checks import check_bool, check_positive_int
from mmpwkd.safety.hooks.rng_state_hook import get_rng_state, set_rng_state


@HOOKS.register_module()
class PreciseBNEvalHook(Hook):
    """Validate and test with BN statistics re-estimated on training data.

    The statistics are the average of per-batch statistics over
    ``num_samples`` training images (all of them when the training set is
    smaller), with the model's weights as they are. In test mode (e.g.
    ``tools/test.py``) the training data comes from the config's
    ``train_dataloader``, so a checkpoint is scored with statistics of the
    data it was trained on. A distiller's frozen teacher is left alone:
    only BN layers that the model's ``train()`` switches to training mode
    are re-estimated.

    Args:
        num_samples (int): Training images to estimate from. Defaults to
            8192.
        val (bool): Re-estimate before each validation. Defaults to True.
        test (bool): Re-estimate before testing. Defaults to True.
    """

    # Before mmengine's loggers read the metrics, after everything else
    # that prepares an evaluation.
    priority = 'BELOW_NORMAL'

    def __init__(self,
                 num_samples: int = 8192,
                 val: bool = True,
                 test: bool = True) -> None:
        owner = 'PreciseBNEvalHook'
        self.num_samples = check_positive_int(owner, 'num_samples',
                                              num_samples)
        self.val = check_bool(owner, 'val', val)
        self.test = check_bool(owner, 'test', test)
        self._saved: Optional[Dict] = None

    def before_val_epoch(self, runner) -> None:
        if self.val:
            self._estimate(runner, runner.train_loop.dataloader)

    def after_val_epoch(self, runner, metrics=None) -> None:
        self._restore(runner)

    def before_test_epoch(self, runner) -> None:
        if not self.test:
            return
        if runner.cfg.get('train_dataloader') is None:
            raise ValueError(
                'PreciseBNEvalHook(test=True) re-estimates BN statistics on '
                'the training data, but the config has no train_dataloader; '
                'add it, or set test=False.')
        self._estimate(
            runner,
            runner.build_dataloader(
                runner.cfg.train_dataloader, seed=runner.seed))

    def after_test_epoch(self, runner, metrics=None) -> None:
        self._restore(runner)

    def _estimate(self, runner, loader: DataLoader) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        self._saved = dict(
            rng=get_rng_state(),
            training=model.training,
            buffers={
                name: buffer.clone()
                for name, buffer in model.named_buffers()
            })
        model.train()
        world_size = get_world_size()
        batches = min(len(loader),
                      self.num_samples // (loader.batch_size * world_size))
        layers = sum(isinstance(m, _BatchNorm) and m.training
                     for m in model.modules())
        update_bn_stats(model, loader, self.num_samples, logger='silent')
        runner.logger.info(
            f'PreciseBNEvalHook: BN statistics of {layers} layers '
            f're-estimated on {batches} training batches for scoring.')
        model.train(self._saved['training'])

    def _restore(self, runner) -> None:
        if self._saved is None:
            return
        saved, self._saved = self._saved, None
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        with torch.no_grad():
            for name, buffer in model.named_buffers():
                buffer.copy_(saved['buffers'][name])
        set_rng_state(saved['rng'])
