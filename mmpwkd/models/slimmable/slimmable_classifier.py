"""An mmpretrain image classifier whose width can be switched.

The teacher of Partial to Whole Knowledge Distillation (Zhang, Zhang, Sun,
arXiv 2109.12507) is rebuilt as a slimmable network (Yu et al., "Slimmable
Neural Networks", ICLR 2019): weight-sharing sub-networks of increasing
width, trained jointly. The sandwich rule and in-place distillation are
those of Yu and Huang, "Universally Slimmable Networks and Improved Training
Techniques", ICCV 2019.
"""
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

import torch
from mmpretrain.models import ImageClassifier
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from mmpwkd.models.losses import kd_loss
from mmpwkd.models.feature_recorder import FeatureRecorder
from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_positive, check_positive_int

from .convert import convert_to_slimmable, slimmable_layers
from .export import is_pretrained_cfg
from .narrow_config import has_narrow_config, narrow_channel_tables
from .switchable_bn import SwitchableBatchNorm
from .width_rule import check_widths

__all__ = ['SlimmableClassifier']

ModuleOrCfg = Union[dict, nn.Module]
OWNER = 'SlimmableClassifier'


def _last_layer_path(model: nn.Module) -> str:
    """Path of the last conv or linear layer: the classification layer."""
    paths = [
        path for path, module in model.named_modules()
        if type(module) in (nn.Conv2d, nn.Linear)
    ]
    if not paths:
        raise ValueError('SlimmableClassifier: found no nn.Conv2d or '
                         'nn.Linear layer to classify with')
    return paths[-1]


@MODELS.register_module()
class SlimmableClassifier(ImageClassifier):
    """:class:`ImageClassifier` with weight-sharing sub-networks.

    The backbone, neck and head are converted in place by
    :func:`convert_to_slimmable`; their state-dict keys stay those of the
    ordinary classifier (plus ``narrow_bns`` of switchable BNs), so an
    ordinary checkpoint loads and gives the ordinary logits at width 1.0.
    Channels per width: for a backbone config whose type has width knobs
    (:data:`NARROWABLE_BACKBONES`: the ResNet family, MobileNetV2,
    CIFARResNet and CIFARMobileNetV2), those of the plain narrowed backbone,
    so every width can be exported (:func:`export_width`); otherwise (VGG,
    CIFARWideResNet, a backbone given as a module) :func:`scaled_channels`
    per layer. The last conv/linear layer (the classifier) keeps all its
    outputs. Modules with
    parameters other than Conv2d/Linear/BatchNorm (LayerNorm, attention, a
    ViT) are rejected at build time.

    Training (``mode='loss'``) runs every trained width, widest first, and
    returns ``loss_w{width}`` per width (plus ``accuracy_top-1_w{width}``
    with hard labels); mmengine sums the losses, so one backward pass and
    one optimizer step serve all widths, under any optim wrapper and under
    ``MMDistributedDataParallel``. With ``sandwich``, the switchable BNs of
    skipped widths get no gradient, so DDP needs
    ``find_unused_parameters=True``; the random widths come from torch's
    global generator, which mmengine seeds alike on every rank.

    Prediction uses the active width for ``pred_score``/``pred_label``; with
    ``eval_all_widths`` each data sample also gets ``pred_score_per_width``
    (a dict from float width to scores), read by :class:`PerWidthAccuracy`.
    A distiller that runs the teacher at one width turns it off.

    Args:
        backbone (dict | nn.Module): The backbone or its config.
        neck (dict | nn.Module, optional): The neck or its config.
            Defaults to None.
        head (dict | nn.Module, optional): The head or its config.
            Defaults to None.
        widths (Sequence[float]): Width multipliers, strictly ascending, in
            (0, 1], ending with 1.0. Defaults to ``(0.25, 0.5, 0.75, 1.0)``.
        divisor (int): Divisor of :func:`scaled_channels`; 1 truncates like
            S-ResNet, which keeps the standard widths of the ResNet family
            expressible as plain configs. Defaults to 1.
        fixed_output (Sequence[str]): Further module paths whose layers keep
            all output channels at every width. Defaults to ().
        sandwich (int, optional): None trains every width each iteration;
            ``n`` trains the widest, the narrowest and ``n`` others drawn at
            random. Defaults to None.
        inplace_distill (bool): Train the narrower widths on the widest
            width's detached predictions (KL divergence) instead of the
            labels. Defaults to False.
        distill_temperature (float): Temperature of in-place distillation.
            Defaults to 1.0.
        eval_all_widths (bool): Predict at every width in ``predict``.
            Defaults to True.
        **kwargs: Other arguments of :class:`ImageClassifier`
            (``train_cfg``, ``data_preprocessor``, ``init_cfg`` ...).
    """

    def __init__(self,
                 backbone: ModuleOrCfg,
                 neck: Optional[ModuleOrCfg] = None,
                 head: Optional[ModuleOrCfg] = None,
                 widths: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
                 divisor: int = 1,
                 fixed_output: Sequence[str] = (),
                 sandwich: Optional[int] = None,
                 inplace_distill: bool = False,
                 distill_temperature: float = 1.0,
                 eval_all_widths: bool = True,
                 **kwargs) -> None:
        widths = check_widths(widths, name='SlimmableClassifier: widths')
        self._check_options(widths, divisor, sandwich, distill_temperature)
        super().__init__(backbone, neck, head, **kwargs)
        self._widths = widths
        self.divisor = divisor
        self.sandwich = sandwich
        self.inplace_distill = inplace_distill
        self.distill_temperature = float(distill_temperature)
        self.eval_all_widths = eval_all_widths
        tables = {}
        if isinstance(backbone, dict) and has_narrow_config(self.backbone):
            tables = narrow_channel_tables(self.backbone, backbone, widths,
                                          divisor)
        convert_to_slimmable(
            self,
            widths,
            divisor,
            fixed_output=(_last_layer_path(self), *fixed_output),
            channel_tables=tables)
        # Listed once: a joint step switches width 8 times, and walking
        # the module tree each time costs as much as a narrow forward.
        self._slimmable_layers = tuple(slimmable_layers(self).values())
        # The width that forward runs at; set_width is the one way to
        # change it.
        self.active_width = 1.0
        # The logits of each width, as the head's public loss computes
        # them (it does not return them).
        self._logits = FeatureRecorder(self, {'head': 'model.head'}) \
            if self.with_head else None

    @staticmethod
    def _check_options(widths: Tuple[float, ...], divisor: int,
                       sandwich: Optional[int],
                       distill_temperature: float) -> None:
        check_positive_int(OWNER, 'divisor', divisor)
        if sandwich is not None and (
                isinstance(sandwich, bool) or not isinstance(sandwich, int)
                or not 0 <= sandwich <= len(widths) - 2):
            raise ValueError(
                'SlimmableClassifier: sandwich must be None or an int in '
                f'[0, len(widths) - 2] = [0, {len(widths) - 2}] (random '
                f'widths besides the widest and narrowest), got {sandwich!r}')
        check_positive(OWNER, 'distill_temperature', distill_temperature)

    @property
    def widths(self) -> Tuple[float, ...]:
        """tuple[float, ...]: The width multipliers, ascending."""
        return self._widths

    def set_width(self, width: float) -> None:
        """Run every layer at ``width`` from now on.

        Args:
            width (float): One of :attr:`widths`.
        """
        if width not in self._widths:
            raise ValueError(f'SlimmableClassifier.set_width: width must be '
                             f'one of {self._widths}, got {width!r}')
        for layer in self._slimmable_layers:
            layer.set_width(width)
        self.active_width = float(width)

    @contextmanager
    def width(self, width: float) -> Iterator['SlimmableClassifier']:
        """Context manager running at ``width``, then at the previous one.

        Args:
            width (float): One of :attr:`widths`.

        Yields:
            SlimmableClassifier: This model.
        """
        previous = self.active_width
        self.set_width(width)
        try:
            yield self
        finally:
            self.set_width(previous)

    def init_weights(self) -> None:
        """Initialise as :class:`ImageClassifier`, then re-slice the narrow
        BNs from the full-width ones, so that custom BN inits (ResNet's
        ``zero_init_residual``) reach every width. BNs under a module with
        a ``Pretrained`` ``init_cfg`` keep what the checkpoint gave them
        (its narrow BNs, or slices of its full-width BNs)."""
        super().init_weights()
        loaded = [
            path for path, module in self.named_modules()
            if is_pretrained_cfg(getattr(module, 'init_cfg', None))
        ]
        for path, layer in slimmable_layers(self).items():
            if isinstance(layer, SwitchableBatchNorm) and not any(
                    path.startswith(f'{root}.') or not root
                    for root in loaded):
                layer.reset_narrow_bns()

    def _train_widths(self) -> List[float]:
        """Widths trained this iteration, widest first."""
        if self.sandwich is None:
            return list(reversed(self._widths))
        middle = self._widths[1:-1]
        picked = torch.randperm(len(middle))[:self.sandwich].tolist()
        others = sorted((middle[i] for i in picked), reverse=True)
        return [self._widths[-1], *others, self._widths[0]]

    def loss(self, inputs: Tensor,
             data_samples: List[DataSample]) -> Dict[str, Tensor]:
        """Losses of every trained width, for one backward pass.

        Args:
            inputs (Tensor): Images (N, C, H, W).
            data_samples (List[DataSample]): Their annotations.

        Returns:
            dict[str, Tensor]: ``loss_w{width}`` per trained width, and
            ``accuracy_top-1_w{width}`` when the labels are hard.
        """
        hard_labels = 'gt_score' not in data_samples[0]
        labels = torch.cat([s.gt_label for s in data_samples]) \
            if hard_labels else None
        losses = {}
        soft_target = None
        for width in self._train_widths():
            with self.width(width), self._logits.record() as recorded:
                feats = self.extract_feat(inputs)
                if soft_target is None or not self.inplace_distill:
                    head_losses = self.head.loss(feats, data_samples)
                else:
                    head_losses = dict(loss=kd_loss(
                        self.head(feats).float(), soft_target,
                        self.distill_temperature))
            logits = recorded['head'].detach()
            if self.inplace_distill and soft_target is None:
                soft_target = logits.float()
            losses.update(
                {f'{key}_w{width}': value
                 for key, value in head_losses.items()})
            if hard_labels:
                correct = logits.argmax(dim=1) == labels.to(logits.device)
                losses[f'accuracy_top-1_w{width}'] = correct.float().mean()
        return losses

    def predict(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        """Predictions of the active width, and with ``eval_all_widths`` the
        scores of every width in ``pred_score_per_width``.

        Args:
            inputs (Tensor): Images (N, C, H, W).
            data_samples (List[DataSample], optional): Their annotations.
                Defaults to None.
            **kwargs: Passed to the head's ``predict``.

        Returns:
            List[DataSample]: One prediction per image.
        """
        results = super().predict(inputs, data_samples, **kwargs)
        if not self.eval_all_widths:
            return results
        active = self.active_width
        per_width = {active: [r.pred_score for r in results]}
        for width in self._widths:
            if width != active:
                with self.width(width):
                    narrow = super().predict(inputs, **kwargs)
                per_width[width] = [r.pred_score for r in narrow]
        for index, result in enumerate(results):
            result.pred_score_per_width = {
                width: per_width[width][index]
                for width in self._widths
            }
        return results
