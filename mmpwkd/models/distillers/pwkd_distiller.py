"""Partial to Whole Knowledge Distillation.

Zhang, Zhang, Sun, "Partial to Whole Knowledge Distillation: Progressive
Distilling Decomposed Knowledge Boosts Student Better", arXiv 2109.12507.
A frozen slimmable teacher teaches the student in stages, from its narrowest
sub-network to the whole network; :class:`PWKDStageHook` sets the width of
each stage through :meth:`PWKDDistiller.set_teacher_width`. With a plain
teacher (or a single stage at width 1.0) this is ordinary offline KD.
"""
from functools import partial
from typing import Callable, Dict, List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel
from mmpretrain.structures import DataSample
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.arg_checks import check_bool, check_non_negative

from ..data_preprocessors import batch_gt_label
from .distill_term import LOGITS, DistillTerm, build_module
from ..feature_recorder import FeatureRecorder
from ..slimmable.fixed_width import FixedWidth, fixed_width_copy
from ..slimmable.ops import SlimmableLayer
from .teacher_loading import TeacherWeights, load_teacher_checkpoint

__all__ = ['PWKDDistiller']

ModuleOrCfg = Union[dict, nn.Module]
OWNER = 'PWKDDistiller'
# The classifier's head, whose output is the logits.
_HEAD = 'head'
Forward = Callable[[nn.Module, Tensor], Tensor]


def _forward(model: nn.Module, inputs: Tensor) -> Tensor:
    """Run a classifier to its logits, without loss or predictions."""
    return model.head(model.extract_feat(inputs))


def _teacher_forward(compile_teacher: Union[bool, dict]) -> Forward:
    """:func:`_forward`, compiled with ``torch.compile(**options)`` when
    ``compile_teacher`` is True (no options) or a dict of options."""
    if compile_teacher is False:
        return _forward
    if compile_teacher is True:
        compile_teacher = {}
    if not isinstance(compile_teacher, dict):
        raise ValueError(f'{OWNER}: compile_teacher must be a bool or a '
                         'dict of torch.compile options, got '
                         f'{compile_teacher!r}')
    # The teacher is frozen, so a compiled graph stays valid; dynamo
    # compiles once per module it is given: the teacher's copy at each
    # width (again if the copy is made again after a move).
    return torch.compile(_forward, **compile_teacher)


@MODELS.register_module()
class PWKDDistiller(BaseModel):
    """A student distilled from a frozen, width-switchable teacher.

    Each loss in ``distill_losses`` names its inputs: ``'logits'`` (the
    default) or a module path of the student/teacher, read by forward hooks
    checked when the model is built. Feature losses whose channels differ
    take a ``connector`` (e.g. :class:`ConvConnector`) mapping the student to
    the teacher's *full* width; it is sliced to the active width.

    The teacher is frozen, stays in eval mode, runs under ``no_grad`` and
    computes only features and logits (no teacher loss); a slimmable
    teacher slices its shared weights to the active width.

    Mistakes surface before the first update: module paths, loss arguments
    and class counts of compared logits are checked when the model is
    built, and a teacher checkpoint must hold every width the teacher has
    (``allow_untrained_widths``); on the first training batch,
    :class:`PWKDStageHook` runs every term once at the widest stage width
    (:meth:`check_teacher_width`), so that a shape no connector reconciles
    is reported by the first iteration, naming both sources and shapes.

    Args:
        student (dict | nn.Module): An mmpretrain classifier or its config.
        teacher (dict | nn.Module): A :class:`SlimmableClassifier`, or any
            classifier for vanilla KD, or its config.
        teacher_ckpt (str, optional): Teacher checkpoint, loaded strictly
            with ``weights_only=True``. Defaults to None.
        distill_losses (dict): Loss name (starting with ``loss_``) to loss
            config, optionally with ``student``/``teacher`` sources and a
            ``connector``; a loss set to None is left out, so that a config
            can drop one it inherits. Defaults to KD at tau 4 with weight
            0.9.
        student_loss_weight (float): Weight of the student's own (label)
            losses. Defaults to 0.1.
        eval_teacher (bool): In ``predict``, also score the teacher at its
            active width (``teacher_score_per_width``, read by
            ``PerWidthAccuracy(score_field='teacher_score_per_width')``),
            so validation shows what the current stage teaches.
            Defaults to False.
        allow_untrained_widths (bool): Accept a ``teacher_ckpt`` without
            the switchable BNs of some teacher width below 1.0 (a plain
            classifier's checkpoint, or a slimmable one trained at other
            widths), whose sub-networks are then untrained. Defaults to
            False.
        allow_untrained_teacher (bool): Train against a teacher config
            that names no weights (neither ``teacher_ckpt`` nor a
            ``Pretrained`` ``init_cfg`` of the teacher, which is loaded in
            :meth:`init_weights`); otherwise refused before the first
            iteration. Defaults to False.
        compile_teacher (bool | dict): ``torch.compile`` the teacher's
            forward (True, or a dict of ``torch.compile`` options, e.g.
            ``dict(mode='reduce-overhead')`` for CUDA graphs). The graphs
            are built on the first steps at each width; it pays only where
            the teacher forward is framework-bound (see
            docs/benchmarks/speed.md). Defaults to False.
        data_preprocessor (dict, optional): Defaults to the student's, and
            its type to :class:`BatchedClsDataPreprocessor` (mmpretrain's
            ``ClsDataPreprocessor`` with batched labels).
        init_cfg (dict, optional): Defaults to None.
    """

    def __init__(self,
                 student: ModuleOrCfg,
                 teacher: ModuleOrCfg,
                 teacher_ckpt: Optional[str] = None,
                 distill_losses: Optional[Dict[str, dict]] = None,
                 student_loss_weight: float = 0.1,
                 eval_teacher: bool = False,
                 allow_untrained_widths: bool = False,
                 allow_untrained_teacher: bool = False,
                 compile_teacher: Union[bool, dict] = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        if data_preprocessor is None and isinstance(student, dict):
            data_preprocessor = student.get('data_preprocessor')
        # mmengine hands the config's top-level data_preprocessor over
        # without a type; the student is an mmpretrain classifier, whose
        # preprocessor this is with cheaper label handling.
        data_preprocessor = dict(data_preprocessor or {})
        data_preprocessor.setdefault('type', 'BatchedClsDataPreprocessor')
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        check_bool(OWNER, 'eval_teacher', eval_teacher)
        check_bool(OWNER, 'allow_untrained_widths', allow_untrained_widths)
        self.student = build_module(student, 'model.student')
        self.teacher = build_module(teacher, 'model.teacher')
        self._teacher_weights = TeacherWeights(
            self.teacher, teacher_ckpt, allow_untrained_widths,
            check_bool(OWNER, 'allow_untrained_teacher',
                       allow_untrained_teacher),
            isinstance(teacher, nn.Module))
        self.teacher.requires_grad_(False)
        self.teacher.eval()
        self.student_loss_weight = check_non_negative(
            OWNER, 'student_loss_weight', student_loss_weight)
        self.eval_teacher = eval_teacher
        self._teacher_forward = _teacher_forward(compile_teacher)
        self.distill_scale = 1.0
        if distill_losses is None:
            distill_losses = dict(
                loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9))
        self.distill_terms = self._build_terms(distill_losses)
        self._check_num_classes()
        self._recorders = self._build_recorders()
        # The teacher's copy at each width (in a dict: no sub-module, no
        # state-dict keys), made at the first forward of the width; None
        # where it cannot be made. A recorded slimmable layer keeps
        # the teacher as it is: its hook is on that layer.
        self._fixed: Dict[float, Optional[FixedWidth]] = {}
        self._fixable = len(self.teacher_widths) > 1 and not any(
            isinstance(self.teacher.get_submodule(path), SlimmableLayer)
            for path in self._teacher_paths)
        # Whether a stage schedule has set the teacher width (see
        # train_step).
        self._width_set = False

    @staticmethod
    def _build_terms(cfgs: Dict[str, dict]) -> nn.ModuleDict:
        if isinstance(cfgs, dict):
            cfgs = {name: cfg for name, cfg in cfgs.items() if cfg is not None}
        if not isinstance(cfgs, dict) or not cfgs:
            raise ValueError('PWKDDistiller: distill_losses must be a '
                             f'non-empty dict of loss configs, got {cfgs!r}')
        for name in cfgs:
            if not name.startswith('loss_'):
                raise ValueError(
                    f'distill_losses: key {name!r} must start with "loss_" '
                    '(mmengine sums and logs only such keys)')
        return nn.ModuleDict(
            {name: DistillTerm(name, cfg)
             for name, cfg in cfgs.items()})

    def _check_num_classes(self) -> None:
        """Logits compared class by class need the same classes."""
        keys = [
            term.key for term in self.distill_terms.values()
            if term.compares_logits
        ]
        student, teacher = (getattr(getattr(model, 'head', None),
                                    'num_classes', None)
                            for model in (self.student, self.teacher))
        if keys and None not in (student, teacher) and student != teacher:
            raise ValueError(
                f'model.student.head.num_classes={student} and '
                f'model.teacher.head.num_classes={teacher} differ, but '
                f'{keys} compare their logits class by class')

    def _build_recorders(self) -> Dict[str, FeatureRecorder]:
        # The head's output is the logits: recorded, so that the student's
        # head computes them once, inside its public ``loss``.
        paths: Dict[str, Dict[str, str]] = dict(
            student={_HEAD: LOGITS}, teacher={_HEAD: LOGITS})
        for name, term in self.distill_terms.items():
            for side in ('student', 'teacher'):
                source = getattr(term, f'{side}_source')
                if source != LOGITS:
                    paths[side][source] = f'distill_losses.{name}.{side}'
        self._teacher_paths = tuple(paths['teacher'])
        return dict(
            student=FeatureRecorder(self.student, paths['student']),
            teacher=FeatureRecorder(self.teacher, paths['teacher']))

    @property
    def teacher_widths(self) -> Tuple[float, ...]:
        """Widths the teacher can run at; (1.0,) for a plain teacher."""
        return tuple(getattr(self.teacher, 'widths', (1.0, )))

    @property
    def teacher_width(self) -> float:
        """The teacher's active width."""
        return getattr(self.teacher, 'active_width', 1.0)

    def set_teacher_width(self, width: float) -> None:
        """Switch the teacher to one of :attr:`teacher_widths`."""
        if width not in self.teacher_widths:
            raise ValueError(f'teacher width {width} is not available; the '
                             f'teacher has widths {self.teacher_widths}')
        if hasattr(self.teacher, 'set_width'):
            self.teacher.set_width(width)
        self._width_set = True

    def load_teacher(self, path: str) -> None:
        """Give the teacher the weights of checkpoint ``path`` (a stage
        that names a point of the teacher's training). The teacher runs
        at its widest width there, so a plain classifier's checkpoint
        fits a slimmable teacher.

        Raises:
            ValueError: As :func:`load_teacher_checkpoint`.
        """
        load_teacher_checkpoint(self.teacher, path,
                                allow_untrained_widths=True)
        self.teacher.eval()

    def train_step(self, data, optim_wrapper) -> Dict[str, Tensor]:
        """mmengine's training step, refused for a slimmable teacher whose
        width no stage schedule has set: without :class:`PWKDStageHook`
        (a config that dropped it, a resume included) the teacher would
        silently run at its last width."""
        if not self._width_set and len(self.teacher_widths) > 1:
            raise RuntimeError(
                f'{OWNER}: the teacher is slimmable (widths '
                f'{self.teacher_widths}) but no stage schedule sets its '
                'width: add custom_hooks=[dict(type=\'PWKDStageHook\', '
                'stages=...)] (a one-stage schedule, stages=[dict('
                'width=1.0, ratio=1)], is KD from the whole teacher); to '
                'resume a PWKD checkpoint with other stages, give them '
                'with allow_schedule_change=True')
        return super().train_step(data, optim_wrapper)

    def set_distill_scale(self, scale: float) -> None:
        """Scale every distill loss by ``scale`` (a warm-up, set by
        :class:`DistillWarmupHook`)."""
        self.distill_scale = float(scale)

    def train(self, mode: bool = True) -> 'PWKDDistiller':
        """Set the student's mode; the teacher always stays in eval mode."""
        super().train(mode)
        self.teacher.eval()
        return self

    def init_weights(self) -> None:
        """Initialise the student; load the teacher's ``init_cfg``
        checkpoint, or refuse a teacher without weights."""
        self.student.init_weights()
        self._teacher_weights.load(self.teacher)

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.student(inputs, data_samples, mode='tensor')
        raise RuntimeError(f'Invalid mode "{mode}"; expected "loss", '
                           '"predict" or "tensor"')

    def predict(self,
                inputs: Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """The student's predictions, with ``eval_teacher`` also the
        teacher's scores at its active width."""
        results = self.student.predict(inputs, data_samples)
        if self.eval_teacher:
            with torch.no_grad():
                scored = self.teacher.head.predict(
                    self.teacher.extract_feat(inputs))
            for result, teacher in zip(results, scored):
                result.teacher_score_per_width = {
                    self.teacher_width: teacher.pred_score
                }
        return results

    def _run_teacher(self, inputs: Tensor) -> None:
        """Run the teacher at its active width: from the second forward of
        a width on, its copy at that width (:func:`fixed_width_copy`: the
        same outputs from stock layers), made after the first, and again
        after the teacher's weights moved (``.to()``, ``.half()``, a load
        that replaces them)."""
        if not self._fixable:
            self._teacher_forward(self.teacher, inputs)
            return
        width = self.teacher_width
        fixed = self._fixed.get(width, False)
        if fixed and fixed.view.data_ptr() != fixed.layer.weight.data_ptr():
            self._fixed.clear()  # the weights moved: every copy is old
            fixed = False
        if fixed is False:
            # The copy's hooks report to the same recorder.
            _, self._fixed[width] = fixed_width_copy(
                self.teacher, partial(_forward, self.teacher, inputs),
                keep=(self._recorders['teacher'], ))
        else:
            self._teacher_forward(
                self.teacher if fixed is None else fixed.model, inputs)

    def _outputs(self, side: str, inputs: Tensor,
                 data_samples: Optional[List[DataSample]] = None
                 ) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
        """The one way either model is run: its logits (the head's output)
        and named features, recorded by forward hooks, and, given data
        samples, the head's own label losses (mmpretrain's public
        ``head.loss``, which runs the head once)."""
        model = getattr(self, side)
        head_losses: Dict[str, Tensor] = {}
        with self._recorders[side].record() as outputs:
            if data_samples is None:
                self._run_teacher(inputs)
            else:
                head_losses = model.head.loss(
                    model.extract_feat(inputs), data_samples)
        outputs[LOGITS] = outputs[_HEAD]
        return outputs, head_losses

    def loss(self, inputs: Tensor,
             data_samples: List[DataSample]) -> Dict[str, Tensor]:
        """Student losses (``student.*``), distill losses (``distill.*``)
        and the width the teacher ran at (``teacher_width``, logged)."""
        student, head_losses = self._outputs('student', inputs, data_samples)
        with torch.no_grad():
            teacher, _ = self._outputs('teacher', inputs)
        losses = {
            f'student.{key}': value * self.student_loss_weight
            if 'loss' in key else value
            for key, value in head_losses.items()
        }
        losses.update(self._distill(student, teacher, data_samples, inputs))
        losses['teacher_width'] = torch.tensor(self.teacher_width,
                                               device=inputs.device)
        return losses

    def _distill(self, student: Dict[str, Tensor], teacher: Dict[str,
                                                                  Tensor],
                 data_samples: List[DataSample],
                 inputs: Tensor) -> Dict[str, Tensor]:
        """Every distill term on the recorded outputs."""
        target = _labels(data_samples, inputs.device)
        return {
            f'distill.{name}': self.distill_scale * term(
                student[term.student_source], teacher[term.teacher_source],
                target, self.teacher_width)
            for name, term in self.distill_terms.items()
        }

    @torch.no_grad()
    def check_teacher_width(self, inputs: Tensor,
                            data_samples: List[DataSample],
                            width: float) -> None:
        """Run every distill term once with the teacher at ``width``.

        :class:`PWKDStageHook` calls it on the first training batch with
        the widest stage width, so that a connector too narrow for the
        last stage fails before the first update. It runs in eval mode and
        without gradients: it trains nothing and moves no statistics (a
        connector's BN); the mode and teacher width are restored.

        Args:
            inputs (Tensor): Preprocessed images (N, C, H, W).
            data_samples (List[DataSample]): Their annotations.
            width (float): One of :attr:`teacher_widths`.

        Raises:
            ValueError: If a term refuses the shapes, naming both sources.
        """
        mode, active = self.training, self.teacher_width
        self.eval()
        self.set_teacher_width(width)
        try:
            student, _ = self._outputs('student', inputs, data_samples)
            teacher, _ = self._outputs('teacher', inputs)
            self._distill(student, teacher, data_samples, inputs)
        finally:
            self.set_teacher_width(active)
            self.train(mode)



def _labels(data_samples: List[DataSample],
            device: torch.device) -> Optional[Tensor]:
    """The hard labels of the batch on ``device``, or None without them."""
    target = batch_gt_label(data_samples)
    return None if target is None else target.to(device)
