"""One distill loss of :class:`PWKDDistiller` with the sources feeding it.

A term reads the student's and the teacher's outputs by name (``'logits'``
or a module path), maps the student's through an optional connector and
scores the pair with its loss. A shape mismatch is reported with both
sources, both shapes, the teacher width and what the connector can do.
"""
from typing import Optional

from mmengine.config import Config
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils.package_config import read_config

__all__ = ['DistillTerm', 'LOGITS', 'build_module', 'model_from_config_file']

LOGITS = 'logits'


def build_module(cfg: object, key: str) -> nn.Module:
    """``cfg`` itself if it is a module, else the module it configures.

    A config holding ``cfg_path`` (as MMRazor's) starts from the ``model`` of
    that config file, e.g. ``'mmpretrain::resnet/resnet34_8xb32_in1k.py'``,
    with the config's other keys merged over it (``type='SlimmableClassifier'``
    makes it a slimmable teacher).

    Args:
        cfg (dict | nn.Module): A module or its config.
        key (str): Config key of ``cfg``, prefixed to build errors, e.g.
            ``'distill_losses.loss_kd'``.

    Returns:
        nn.Module: The module.
    """
    if isinstance(cfg, nn.Module):
        return cfg
    if isinstance(cfg, dict) and 'cfg_path' in cfg:
        cfg = model_from_config_file(cfg, key)
    try:
        return MODELS.build(cfg)
    except (TypeError, ValueError) as error:
        raise type(error)(f'{key}: {error}') from error


def model_from_config_file(cfg: dict, key: str) -> dict:
    """The ``model`` of the config file ``cfg['cfg_path']``, with the other
    keys of ``cfg`` merged over it as a child config merges over its base.
    """
    overrides = dict(cfg)
    path = overrides.pop('cfg_path')
    try:
        model = read_config(path, f'{key}.cfg_path').get('model')
    except (FileNotFoundError, OSError) as error:
        raise ValueError(f'{key}.cfg_path={path!r} cannot be read: '
                         f'{error}') from error
    if not isinstance(model, dict):
        raise ValueError(f'{key}.cfg_path={path!r} has no model to take, '
                         f'got model={model!r}')
    if 'student' in model or 'architecture' in model:
        raise ValueError(
            f'{key}.cfg_path={path!r} is a distillation config (its model '
            f"is a {model.get('type')!r} with a student and a teacher); "
            f'{key} needs the config of one classifier, e.g. the config '
            'that trained it')
    merged = Config(dict(model=model))
    merged.merge_from_dict(dict(model=overrides))
    return merged.model.to_dict()


def _shape(tensor: Tensor) -> str:
    return str(tuple(tensor.shape))


class DistillTerm(nn.Module):
    """A distill loss, its ``student``/``teacher`` sources and connector.

    Args:
        name (str): Key of the term in ``distill_losses``.
        cfg (dict): The loss config, optionally with ``student`` and
            ``teacher`` (``'logits'`` or a module path; defaults to
            ``'logits'``) and a ``connector`` config.
    """

    def __init__(self, name: str, cfg: dict) -> None:
        super().__init__()
        self.key = f'distill_losses.{name}'
        cfg = dict(cfg)
        self.student_source = cfg.pop('student', LOGITS)
        self.teacher_source = cfg.pop('teacher', LOGITS)
        connector = cfg.pop('connector', None)
        self.loss = build_module(cfg, self.key)
        self.connector = None if connector is None else build_module(
            connector, f'{self.key}.connector')
        kind = getattr(self.loss, 'input_kind', LOGITS)
        if kind == 'feature' and LOGITS in (self.student_source,
                                            self.teacher_source):
            raise ValueError(
                f'{self.key}: {type(self.loss).__name__} distils features; '
                "give module paths, e.g. student='backbone.layer3', "
                "teacher='backbone.layer3'")

    @property
    def compares_logits(self) -> bool:
        """Whether both sources are logits (so class counts must match)."""
        return self.student_source == LOGITS == self.teacher_source

    def forward(self,
                student: Tensor,
                teacher: Tensor,
                target: Optional[Tensor],
                teacher_width: float = 1.0) -> Tensor:
        """The weighted loss of the pair.

        Args:
            student (Tensor): The student's source output.
            teacher (Tensor): The teacher's source output.
            target (Tensor, optional): Class labels, for losses that use
                them.
            teacher_width (float): The width that produced ``teacher``,
                named in errors. Defaults to 1.0.

        Raises:
            ValueError: If the connector or the loss refuses the shapes.
        """
        try:
            mapped = student if self.connector is None else self.connector(
                student, out_channels=teacher.shape[1])
            return self.loss(mapped, teacher, target)
        except ValueError as error:
            raise ValueError(
                self._mismatch(student, teacher, teacher_width, error)
            ) from error

    def _mismatch(self, student: Tensor, teacher: Tensor, width: float,
                  error: ValueError) -> str:
        notes = [
            f'{self.key}: student {self.student_source!r} gives '
            f'{_shape(student)}, teacher {self.teacher_source!r} gives '
            f'{_shape(teacher)} at teacher width {width}'
        ]
        maps = student.dim() == teacher.dim() == 4
        if self.connector is not None:
            notes.append(
                f'the connector {type(self.connector).__name__} maps '
                f'{getattr(self.connector, "in_channels", "?")} student '
                'channels to at most '
                f'{getattr(self.connector, "out_channels", "?")} teacher '
                'channels')
        if maps and student.shape[2:] != teacher.shape[2:]:
            notes.append('no connector changes H x W (ConvConnector is '
                         '1x1): pick sources of the same resolution')
        elif maps and self.connector is None and (student.shape[1] !=
                                                  teacher.shape[1]):
            full = teacher.shape[1] if width == 1.0 else (
                "<the teacher's channels at width 1.0>")
            notes.append(
                'there is no connector: add connector=dict(type='
                f"'ConvConnector', in_channels={student.shape[1]}, "
                f'out_channels={full})')
        return '; '.join(notes) + f'. {error}'
