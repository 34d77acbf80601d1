"""Loading a frozen teacher's checkpoint with errors that say what is off.

A slimmable teacher's sub-networks share the full-width weights but each
narrower width has its own switchable BN (``narrow_bns``), which only a
slimmable checkpoint holds. A plain classifier's checkpoint loads into a
slimmable teacher (the narrow BNs start as slices of the full-width BN) and
is exact at width 1.0, but its narrower widths are untrained: chance
accuracy, so the PWKD stages at those widths would distil from noise. That
is refused unless asked for.

A teacher's weights come from ``model.teacher_ckpt`` or from its own
``init_cfg=dict(type='Pretrained', checkpoint=...)``, the way every
mmpretrain config loads weights; :class:`TeacherWeights` loads either one
strictly and refuses, before the first iteration, a teacher config with
neither, which would teach from random weights.
"""
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Mapping, Optional

from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor, nn

from mmpwkd.models.slimmable import widths_missing_from
from mmpwkd.utils.checkpoint_fit import weights_of

__all__ = ['TeacherWeights', 'load_teacher_checkpoint']


# Our configs: in the repository, or under mmpwkd/.mim in a wheel.
_PACKAGE = Path(__file__).resolve().parents[2]
_CONFIG_ROOTS = (_PACKAGE.parent / 'configs', _PACKAGE / '.mim' / 'configs')


def _made_by(path: str) -> str:
    """The command that trains a missing ``work_dirs/<config>/...``
    checkpoint, if one of our configs is named like its folder."""
    folder = Path(path).parent
    for root in _CONFIG_ROOTS:
        found = sorted(root.rglob(f'{folder.name}.py')) if folder.name \
            and root.is_dir() else []
        if found:
            config = Path('configs') / found[0].relative_to(root)
            work_dir = ('' if folder == Path('work_dirs', folder.name) else
                        f' --work-dir {folder}')
            return (f'; it is made by `python tools/train.py {config}'
                    f'{work_dir}` (train that first)')
    return ''


def _state_dict_of(checkpoint: object, path: str) -> Dict[str, Tensor]:
    state = weights_of(checkpoint, f'teacher_ckpt={path!r}')
    return OrderedDict(
        (key[len('module.'):] if key.startswith('module.') else key, value)
        for key, value in state.items())


def _shape_mismatches(teacher: nn.Module,
                      state: Mapping[str, Tensor]) -> List[str]:
    own = teacher.state_dict()
    return [
        f'{key}: checkpoint {tuple(value.shape)}, teacher '
        f'{tuple(own[key].shape)}' for key, value in state.items()
        if key in own and isinstance(value, Tensor)
        and value.shape != own[key].shape
    ]


def _non_finite(state: Mapping[str, Tensor]) -> List[str]:
    """Keys of floating-point tensors holding a NaN or an Inf."""
    return [
        key for key, value in state.items()
        if isinstance(value, Tensor) and value.is_floating_point()
        and not bool(value.isfinite().all())
    ]


def _check_widths(missing: List[float], path: str) -> None:
    if missing:
        raise ValueError(
            f'teacher_ckpt={path!r} holds no weights for the teacher widths '
            f'{missing}: it lacks their switchable BNs (keys '
            "'<bn path>.narrow_bns.<width>.*'), as a plain classifier's "
            'checkpoint or a slimmable one trained at other widths does, '
            'so those sub-networks are untrained (chance accuracy) and '
            'the PWKD stages at them would distil from noise. Give the '
            'checkpoint of a slimmable teacher trained at these widths '
            '(train one with configs/slimmable_teacher/ or, on CIFAR-100, '
            'configs/cifar100/slimmable_*.py), or set '
            'model.allow_untrained_widths=True to distil from them anyway.')


def load_teacher_checkpoint(teacher: nn.Module,
                            path: str,
                            allow_untrained_widths: bool = False) -> None:
    """Load ``path`` into ``teacher`` strictly, through the safe loader.

    Args:
        teacher (nn.Module): The teacher model.
        path (str): Checkpoint file (or any URI mmengine can read).
        allow_untrained_widths (bool): Accept a checkpoint without the
            switchable BNs of some teacher width below 1.0. Defaults to
            False.

    Raises:
        ValueError: If the file cannot be read or unpickled safely, if it
            holds non-finite weights, if its keys or shapes do not match
            the teacher (the message lists the missing and unexpected
            keys), or, unless ``allow_untrained_widths``, if it lacks a
            width of a slimmable teacher (the message names the widths).
    """
    try:
        checkpoint = CheckpointLoader.load_checkpoint(
            path, map_location='cpu')
    except FileNotFoundError as error:
        raise ValueError(f'teacher_ckpt={path!r}: file not found'
                         f'{_made_by(path)}') from error
    except Exception as error:  # truncated, corrupt or unsafe pickle
        raise ValueError(f'teacher_ckpt={path!r} cannot be loaded: '
                         f'{type(error).__name__}: {error}') from error
    state = _state_dict_of(checkpoint, path)
    broken = _non_finite(state)
    if broken:
        raise ValueError(
            f'teacher_ckpt={path!r} holds NaN or Inf in {len(broken)} '
            f'tensors, e.g. {broken[:5]}: a teacher trained into a '
            'non-finite loss; give an earlier checkpoint of that run')
    mismatches = _shape_mismatches(teacher, state)
    if mismatches:
        raise ValueError(
            f'teacher_ckpt={path!r} does not fit the teacher: '
            f'{len(mismatches)} tensors differ in shape, e.g. '
            f'{mismatches[:5]}')
    # Read before loading: a switchable BN fills in the keys it lacks.
    missing_widths = widths_missing_from(teacher, state)
    try:
        result = teacher.load_state_dict(state, strict=False)
    except RuntimeError as error:  # a mismatch that a load hook found
        raise ValueError(f'teacher_ckpt={path!r} does not fit the teacher: '
                         f'{error}') from error
    if result.missing_keys or result.unexpected_keys:
        raise ValueError(
            f'teacher_ckpt={path!r} does not match the teacher config: '
            f'missing keys {list(result.missing_keys)[:20]}, unexpected '
            f'keys {list(result.unexpected_keys)[:20]} (of '
            f'{len(result.missing_keys)} and '
            f'{len(result.unexpected_keys)})')
    if not allow_untrained_widths:
        _check_widths(missing_widths, path)


def _pretrained_checkpoint(init_cfg: object) -> Optional[str]:
    """The checkpoint of a ``Pretrained`` entry of the teacher's
    ``init_cfg`` (a dict or a list of them), or None without one."""
    cfgs = init_cfg if isinstance(init_cfg, list) else [init_cfg]
    for cfg in cfgs:
        if not (isinstance(cfg, Mapping) and cfg.get('type') == 'Pretrained'):
            continue
        if cfg.get('prefix') or not isinstance(cfg.get('checkpoint'), str):
            raise ValueError(
                'model.teacher.init_cfg: a frozen teacher loads a whole '
                "model's checkpoint, dict(type='Pretrained', "
                f"checkpoint='<path or URL>'), got {dict(cfg)!r}; or give "
                'model.teacher_ckpt')
        return cfg['checkpoint']
    return None


class TeacherWeights:
    """Where the frozen teacher's weights come from, and their loading.

    ``teacher_ckpt`` is loaded when the model is built; the teacher's own
    ``init_cfg=dict(type='Pretrained', checkpoint=...)`` by :meth:`load`,
    which the distiller's ``init_weights`` calls before training (when
    mmpretrain applies any ``init_cfg``), through the same strict, safe
    loader. Both at once are refused at build. A teacher config with
    neither is refused by :meth:`load`, before the first iteration, unless
    ``allow_untrained_teacher``; a teacher given as a built module keeps
    the weights its caller gave it.

    Args:
        teacher (nn.Module): The built teacher.
        teacher_ckpt (str, optional): ``model.teacher_ckpt``.
        allow_untrained_widths (bool): Passed to
            :func:`load_teacher_checkpoint`. Defaults to False.
        allow_untrained_teacher (bool): Train against a teacher config
            with no weights (random). Defaults to False.
        given_as_module (bool): The teacher was passed as a module, not a
            config. Defaults to False.
    """

    def __init__(self,
                 teacher: nn.Module,
                 teacher_ckpt: Optional[str],
                 allow_untrained_widths: bool = False,
                 allow_untrained_teacher: bool = False,
                 given_as_module: bool = False) -> None:
        self.init_cfg_ckpt = _pretrained_checkpoint(
            getattr(teacher, 'init_cfg', None))
        if teacher_ckpt is not None and self.init_cfg_ckpt is not None:
            raise ValueError(
                f'model.teacher_ckpt={teacher_ckpt!r} and '
                'model.teacher.init_cfg (Pretrained, checkpoint='
                f'{self.init_cfg_ckpt!r}) both give the teacher weights; '
                'keep one of them')
        self.allow_untrained_widths = allow_untrained_widths
        self.untrained = (teacher_ckpt is None and self.init_cfg_ckpt is None
                          and not given_as_module)
        self.allow_untrained_teacher = allow_untrained_teacher
        if teacher_ckpt is not None:
            load_teacher_checkpoint(teacher, teacher_ckpt,
                                    allow_untrained_widths)

    def load(self, teacher: nn.Module) -> None:
        """Load the teacher's ``init_cfg`` checkpoint, or refuse a teacher
        whose weights come from nowhere.

        Raises:
            ValueError: If the teacher config names no weights and
                ``allow_untrained_teacher`` is False, or if the checkpoint
                does not fit (see :func:`load_teacher_checkpoint`).
        """
        if self.init_cfg_ckpt is not None:
            load_teacher_checkpoint(teacher, self.init_cfg_ckpt,
                                    self.allow_untrained_widths)
        elif self.untrained and not self.allow_untrained_teacher:
            raise ValueError(
                'The teacher has no weights: neither model.teacher_ckpt nor '
                "model.teacher.init_cfg=dict(type='Pretrained', "
                "checkpoint=...) is set, so the student would be distilled "
                'from random weights. Give one of them, or set '
                'model.allow_untrained_teacher=True to train against an '
                'untrained teacher on purpose (e.g. when load_from '
                'restores a whole distiller).')
