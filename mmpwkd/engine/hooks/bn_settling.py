"""A warning for stages too short for the student's BN statistics.

A BatchNorm's running statistics follow the batches with momentum ``m``:
after ``n`` iterations the statistics of before keep a weight of
``(1 - m) ** n``. At a stage start the teacher changes (and with
``StageCosineLR`` the LR jumps back up), so the student's features move;
a stage shorter than the ``n`` for which ``(1 - m) ** n < 0.05`` (29
iterations for mmpretrain's ``m = 0.1``) ends with statistics that still
describe the features of the stage before, and validation at its end
scores a student whose BNs do not fit its weights.
"""
import math
from typing import List, Optional

import numpy as np
from torch import nn

from ..stages import StageSchedule

__all__ = ['STALE_WEIGHT', 'settle_iters', 'warn_short_stages']

BATCH_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d,
               nn.SyncBatchNorm)

# The weight left to the statistics of before a stage that counts as stale.
STALE_WEIGHT = 0.05


def settle_iters(momentum: float) -> int:
    """Iterations until ``(1 - momentum) ** n < STALE_WEIGHT``."""
    if momentum >= 1:
        return 1
    return math.floor(math.log(STALE_WEIGHT) / math.log(1 - momentum)) + 1


def _slowest_momentum(student: nn.Module) -> Optional[float]:
    """The smallest BN momentum of the student (None: no BN with one;
    ``momentum=None`` is a cumulative average, which never goes stale)."""
    momenta = [module.momentum for module in student.modules()
               if isinstance(module, BATCH_NORMS)
               and module.momentum is not None]
    return min(momenta) if momenta else None


def stage_iters(schedule: StageSchedule, max_iters: int) -> List[int]:
    """Iterations of each stage of a resolved schedule."""
    lengths = np.diff([0, *schedule.ends])
    if schedule.by_epoch:
        lengths = lengths * (max_iters / schedule.total)
    return [int(length) for length in lengths]


def warn_short_stages(schedule: StageSchedule, model: nn.Module,
                      max_iters: int, logger) -> None:
    """Warn, per stage, when it is shorter than the student's BNs need."""
    student = getattr(model, 'student', model)
    momentum = _slowest_momentum(student) if isinstance(
        student, nn.Module) else None
    if momentum is None:
        return
    needed = settle_iters(momentum)
    for index, iters in enumerate(stage_iters(schedule, max_iters)):
        if iters < needed:
            logger.warning(
                f'{schedule.owner}: stage {index + 1} '
                f'({schedule.describe(index)}) lasts {iters} iterations, but '
                f"the student's BN running statistics (momentum "
                f'{momentum}) need {needed} to settle ((1 - m)^n < '
                f'{STALE_WEIGHT}); validation after it may score stale '
                'statistics. Lengthen the stage or raise the BN momentum.')
