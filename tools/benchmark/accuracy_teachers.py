"""The teachers of the capacity-gap study, and how much their partial
teachers differ from the whole ones.

Two slimmable teachers of the same family and training recipe, trained on
the 50k-image ``teacher`` part: the resnet20 of the first studies and a
resnet56, 3.1x larger. A teacher shipped in ``checkpoints/`` (the command
that made it is in ``checkpoints/README.md``) is used as it is; any other
is trained by ``tools/train.py`` (plain, then a joint fine-tune of every
width from it) and reused once finished.

For each slimmable teacher, ``tools/analysis_tools/teacher_diversity.py``
scores every width on the validation part: top-1, agreement with the whole
teacher and KL from it. Partial teachers that agree with the whole one
can change what a staged schedule does to the learning rate, not what it
teaches.
"""
import argparse
import json
import sys
from pathlib import Path
from typing import Dict, Sequence

from accuracy_runs import (CONFIGS, REPO, execute, last_checkpoint,
                           train_once, val_history)

# name -> the plain teacher's config, the slimmable teacher's config and
# the folders of their runs (the resnet20's keep the first study's names,
# so its runs are shared).
# The plain teacher keeps every epoch's checkpoint: a route-constrained
# schedule distils from the teacher as it was at points of its training.
KEEP_ROUTE = ('default_hooks.checkpoint.max_keep_ckpts=-1', )
FAMILIES = dict(
    resnet20=dict(
        plain='resnet20_1xb128_fmnist-teacher.py',
        slimmable='slimmable-resnet20_1xb128_fmnist-teacher.py',
        folders=('teacher', 'slimmable')),
    resnet56=dict(
        plain='resnet56_1xb128_fmnist-teacher.py',
        slimmable='slimmable-resnet56_1xb128_fmnist-teacher.py',
        folders=('teacher-resnet56', 'slimmable-resnet56')),
)
SHIPPED = REPO / 'checkpoints'
DIVERSITY_TAU = 4


def shipped(family: str) -> Path:
    """Where the family's slimmable teacher is shipped (it may not be)."""
    return SHIPPED / FAMILIES[family]['slimmable'].replace('.py', '.pth')


def shipped_route(family: str) -> Path:
    """Where the checkpoints of the family's plain teacher run that a
    route-constrained schedule distils from are shipped (it may not be):
    published (``tools/model_converters/publish_checkpoint.py``), so that
    the route arm's records, which name each teacher file by its content,
    hold on another machine, where a retrained teacher would differ."""
    return SHIPPED / Path(FAMILIES[family]['plain']).stem


def plain_teacher(family: str, root: Path, data: Sequence[str],
                  retrain: bool = False) -> Path:
    """The folder of the family's plain teacher run, every epoch kept
    (trained here if it is not finished; the shipped route checkpoints
    where there are some): the route a checkpoint-stage schedule distils
    along."""
    if any(shipped_route(family).glob('epoch_*.pth')) and not retrain:
        print(f'==> the shipped {family} route: {shipped_route(family)}',
              flush=True)
        return shipped_route(family)
    spec = FAMILIES[family]
    folder = root / spec['folders'][0]
    train_once(spec['plain'], folder, [*data, *KEEP_ROUTE],
               f'{family} teacher')
    return folder


def slimmable_teacher(family: str, root: Path, data: Sequence[str],
                      retrain: bool = False) -> Path:
    """The family's slimmable teacher: shipped, or trained (and reused)."""
    if shipped(family).exists() and not retrain:
        print(f'==> the shipped {family} teacher: {shipped(family)}',
              flush=True)
        return shipped(family)
    plain = last_checkpoint(plain_teacher(family, root, data, retrain=True))
    return train_once(FAMILIES[family]['slimmable'],
                      root / FAMILIES[family]['folders'][1],
                      [*data, f'load_from={plain}'],
                      f'slimmable {family} teacher')


def diversity(family: str, checkpoint: Path, root: Path,
              data: Sequence[str], split: str = 'val') -> Dict:
    """teacher_diversity.py's rows for every width, computed once."""
    out = root / 'diversity' / f'{family}_{split}.json'
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        execute([
            sys.executable,
            str(REPO / 'tools' / 'analysis_tools' / 'teacher_diversity.py'),
            str(CONFIGS / FAMILIES[family]['slimmable']),
            str(checkpoint), '--split', split, '--tau',
            str(DIVERSITY_TAU), '--out', str(out), '--cfg-options', *data
        ], out.with_suffix('.log'), threads=2)
    return json.loads(out.read_text())


def diversity_phase(args: argparse.Namespace, root: Path,
                    data: Sequence[str], results: dict) -> dict:
    """Train (or reuse) every teacher; score each width against the whole
    teacher on the validation part."""
    section = dict(split='val', tau=DIVERSITY_TAU, teachers={})
    for family in FAMILIES:
        checkpoint = slimmable_teacher(family, root, data,
                                       args.retrain_teachers)
        plain_dir = root / FAMILIES[family]['folders'][0]
        section['teachers'][family] = dict(
            checkpoint=str(checkpoint.relative_to(REPO)
                           if checkpoint.is_relative_to(REPO) else
                           checkpoint),
            plain_val=(val_history(plain_dir)[-1]['accuracy/top1']
                       if val_history(plain_dir) else None),
            widths=diversity(family, checkpoint, root, data)['rows'])
    return section
