"""The arms of ``speed.py``: one training step (or teacher forward) of a
student / teacher pair, each a call with no arguments, built on one device.

The pairs are mmpretrain's ResNet34 -> ResNet18 at 224x224 and mmpwkd's
CIFAR ResNet56 -> ResNet20 at 32x32. KD steps use the KD loss of our
ImageNet KD baseline (``configs/_base_/models/kd_r34_r18.py``, read from
the file: :data:`TAU`, :data:`KD_WEIGHT`); it sets what a step computes,
not its cost.
"""
import argparse
from functools import partial
from pathlib import Path
from typing import Dict

import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmpretrain.structures import DataSample
from timing import Step
from torch import Tensor, nn

from mmpwkd.engine import MixedPrecisionOptimWrapper
from mmpwkd.models.slimmable import export_width
from mmpwkd.registry import MODELS

WIDTHS = (0.25, 0.5, 0.75, 1.0)
KD_CONFIG = (Path(__file__).resolve().parents[2] / 'configs' / '_base_' /
             'models' / 'kd_r34_r18.py')
KD_LOSS = Config.fromfile(str(KD_CONFIG)).model.distill_losses.loss_kd
TAU, KD_WEIGHT = float(KD_LOSS.tau), float(KD_LOSS.loss_weight)
SGD = dict(lr=0.01, momentum=0.9, weight_decay=1e-4)


def classifier(backbone: dict, channels: int, classes: int) -> dict:
    """An mmpretrain ``ImageClassifier`` config: backbone, pooling, linear
    head."""
    return dict(
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=classes,
            in_channels=channels,
            loss=dict(type='CrossEntropyLoss')))


def pair_cfgs(tiny: bool) -> Dict[str, dict]:
    """Student and teacher configs, input size and batch of each pair;
    ``tiny`` shrinks them for the smoke test."""
    base = 8 if tiny else 64
    resnet = partial(
        dict, type='ResNet', stem_channels=base, base_channels=base,
        out_indices=(3, ))
    return {
        'resnet34_resnet18_224': dict(
            student=classifier(resnet(depth=18), base * 8, 1000),
            teacher=classifier(resnet(depth=34), base * 8, 1000),
            size=32 if tiny else 224, batch=2 if tiny else 8),
        'resnet56_resnet20_cifar32': dict(
            student=classifier(
                dict(type='CIFARResNet', arch='resnet20'), 64, 100),
            teacher=classifier(
                dict(type='CIFARResNet', arch='resnet56'), 64, 100),
            size=32, batch=2 if tiny else 64),
    }


class Bench:
    """Builds the arms of one pair on one device."""

    def __init__(self, cfg: dict, args: argparse.Namespace) -> None:
        self.cfg, self.args = cfg, args
        self.device = torch.device(args.device)
        self.amp = args.amp and self.device.type == 'cuda'
        self.format = (torch.channels_last
                       if args.channels_last else torch.contiguous_format)
        torch.manual_seed(0)
        shape = (cfg['batch'], 3, cfg['size'], cfg['size'])
        self.inputs = torch.randn(shape).to(
            self.device, memory_format=self.format)
        self.labels = torch.randint(0, 100, (cfg['batch'], ),
                                    device=self.device)
        self.data = dict(
            inputs=self.inputs,
            data_samples=[
                DataSample().set_gt_label(int(label)) for label in self.labels
            ])

    def to_device(self, model: nn.Module) -> nn.Module:
        """``model`` on the bench's device, in its memory format."""
        return model.to(self.device, memory_format=self.format)

    def training_step(self, model: nn.Module, bf16: bool = False) -> Step:
        """One ``train_step``; with ``bf16`` under
        :class:`MixedPrecisionOptimWrapper` (bfloat16, no loss scale),
        else under the wrapper of ``--amp`` (mmengine's)."""
        model = self.to_device(model).train()
        # What mmengine's default constructor builds from the config
        # optim_wrapper=dict(optimizer=SGD): every parameter, one group.
        optimizer = torch.optim.SGD(model.parameters(), **SGD)
        if bf16:
            wrapper = MixedPrecisionOptimWrapper(
                dtype='bfloat16', optimizer=optimizer)
        elif self.amp:
            wrapper = AmpOptimWrapper(dtype='bfloat16', optimizer=optimizer)
        else:
            wrapper = OptimWrapper(optimizer)
        return partial(model.train_step, self.data, wrapper)

    def distiller(self, teacher: dict, **kwargs) -> nn.Module:
        """The pair's student distilled from ``teacher`` with the KD loss
        of ``configs/kd/kd_resnet34_resnet18_8xb32_in1k.py``; ``kwargs``
        go to ``PWKDDistiller``."""
        return MODELS.build(
            dict(
                type='PWKDDistiller',
                student=self.cfg['student'],
                teacher=teacher,
                student_loss_weight=1.0,
                distill_losses=dict(
                    loss_kd=dict(
                        type='KDLoss', tau=TAU, loss_weight=KD_WEIGHT)),
                **kwargs))

    def slimmable_cfg(self) -> dict:
        """The pair's teacher as a ``SlimmableClassifier`` of
        :data:`WIDTHS`."""
        return dict(
            self.cfg['teacher'],
            type='SlimmableClassifier',
            widths=WIDTHS,
            eval_all_widths=False)

    def pwkd_step(self, width: float) -> Step:
        """A PWKD training step with the slimmable teacher at ``width``."""
        model = self.distiller(self.slimmable_cfg())
        model.set_teacher_width(width)
        return self.training_step(model)

    def teacher_forward(self, net: nn.Module, compiled: bool = False) -> Step:
        """The frozen teacher's no-grad forward to its logits; with
        ``compiled`` through ``torch.compile``, as
        ``PWKDDistiller(compile_teacher=True)`` runs it."""
        net = self.to_device(net).eval().requires_grad_(False)

        def logits(inputs: Tensor) -> Tensor:
            return net.head(net.extract_feat(inputs))

        if compiled:
            logits = torch.compile(logits)

        @torch.no_grad()
        def forward() -> None:
            with torch.autocast(self.device.type, enabled=self.amp):
                logits(self.inputs)

        return forward

    def bare_kd_step(self, with_teacher: bool = True) -> Step:
        """The floor: the same student and teacher work in a hand-written
        loop (student, CE, teacher under no_grad, KL, backward, SGD), with
        the labels as one tensor and no loss scaling; without the teacher,
        the floor of the student's own step."""
        student = self.to_device(MODELS.build(self.cfg['student'])).train()
        teacher = self.to_device(MODELS.build(self.cfg['teacher'])).eval()
        teacher.requires_grad_(False)
        optimizer = torch.optim.SGD(student.parameters(), **SGD)

        def logits(net: nn.Module) -> Tensor:
            return net.head.fc(net.neck(net.backbone(self.inputs))[-1])

        def step() -> None:
            with torch.autocast(self.device.type, enabled=self.amp):
                out = logits(student)
                loss = F.cross_entropy(out, self.labels)
                if with_teacher:
                    with torch.no_grad():
                        target = logits(teacher)
                    kl = F.kl_div(
                        F.log_softmax(out.float() / TAU, dim=1),
                        F.log_softmax(target.float() / TAU, dim=1),
                        reduction='batchmean',
                        log_target=True)
                    loss = loss + KD_WEIGHT * TAU**2 * kl
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        return step

    def arms(self) -> Dict[str, Step]:
        """Every arm by name; an arm runs one iteration."""
        student = MODELS.build(self.cfg['student'])
        arms = {'student': self.training_step(student)}
        arms['bare_student'] = self.bare_kd_step(with_teacher=False)
        arms['kd'] = self.training_step(self.distiller(self.cfg['teacher']))
        arms['bare_kd'] = self.bare_kd_step()
        slimmable = MODELS.build(self.slimmable_cfg())
        for width in WIDTHS:
            arms[f'pwkd_w{width}'] = self.pwkd_step(width)
            plain_cfg, state = export_width(slimmable, self.slimmable_cfg(),
                                            width)
            plain = MODELS.build(plain_cfg)
            plain.load_state_dict(state)
            arms[f'teacher_forward_w{width}'] = self.teacher_forward(plain)
        arms['slimmable_joint'] = self.training_step(slimmable)
        arms['teacher_full_step'] = self.training_step(
            MODELS.build(self.cfg['teacher']))
        return arms
