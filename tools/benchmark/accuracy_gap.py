"""Capacity gap x schedule length: when can a partial teacher help?

On the validation part, 3 seeds per arm. Each cell is a student, a
teacher and a regime (images x epochs):

- students: resnet8 (78 k parameters) and resnet8 at a quarter of its
  width (5.1 k);
- teachers: the slimmable resnet20 (272 k) and resnet56 (855 k);
- regimes: the whole 5k-image ``student`` part for 40 epochs (1,600
  iterations at batch 128), and, for continuity with the first studies,
  the 1k-image, 30-epoch regime (240 iterations) for resnet20 -> resnet8.

Arms in every cell: the student alone; KD from the whole teacher; KD from
the fixed width-0.5 and width-0.25 sub-networks (does a narrower teacher
teach as well?); PWKD + KD (the default recipe). Every run is scored with
BN statistics re-estimated on its training data.

A cell *qualifies* for the final only if its student alone is trained:
its mean validation accuracy moved by less than ``FLAT`` points over the
last tenth of the run. The final takes the qualifying cell where PWKD + KD
gains most over KD on validation.
"""
import argparse
import functools
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from accuracy_phases import arm_section, finals
from accuracy_runs import CONFIGS, Cell, Run, run_all, val_result
from accuracy_stats import compare, paired_interval, summary
from accuracy_teachers import slimmable_teacher

LONG, SHORT = Cell(500, 40), Cell(100, 30)
# student -> the configs of its arms (file name prefixes; each ends in
# _1xb128_fmnist-student.py).
STUDENTS = {
    'resnet8': dict(
        student='resnet8', kd='kd_resnet20_resnet8',
        fixed='kd-fixed-width_resnet20_resnet8',
        pwkd='pwkd-kd_resnet20_resnet8',
        route='pwkd-route-kd_resnet20_resnet8'),
    'resnet8-quarter': dict(
        student='resnet8-quarter', kd='kd_resnet20_resnet8-quarter',
        fixed='kd-fixed-width_resnet20_resnet8-quarter',
        pwkd='pwkd-kd_resnet20_resnet8-quarter',
        route='pwkd-route-kd_resnet20_resnet8-quarter'),
}
# teacher -> options that swap the configs' resnet20 teacher for it.
TEACHERS = {
    'resnet20': (),
    'resnet56': ('model.teacher.backbone.arch=resnet56', ),
}
CELLS = (('resnet8', 'resnet20', LONG), ('resnet8', 'resnet56', LONG),
         ('resnet8-quarter', 'resnet20', LONG),
         ('resnet8-quarter', 'resnet56', LONG), ('resnet8', 'resnet20', SHORT))
ARMS = dict(
    student='student alone',
    kd='KD, whole teacher',
    kd_w05='KD, width-0.5 teacher',
    kd_w025='KD, width-0.25 teacher',
    pwkd='PWKD + KD (default recipe)',
)
FLAT = 0.5


def config(student: str, arm: str) -> str:
    key = dict(kd_w05='fixed', kd_w025='fixed').get(arm, arm)
    return f'{STUDENTS[student][key]}_1xb128_fmnist-student.py'


def cell_name(student: str, teacher: str, cell: Cell) -> str:
    return f'{teacher}-{student}_{cell.slug}'


def cell_runs(student: str, teacher: str, cell: Cell, seeds: Sequence[int],
              data: Sequence[str], checkpoint: Path) -> Dict[str, List[Run]]:
    """The runs of every arm of a cell. The student alone is shared by the
    two teachers; a teacher's arms are tagged with its name."""
    distill = (*data, f'model.teacher_ckpt={checkpoint}')
    width = {'kd_w05': 0.5, 'kd_w025': 0.25}
    runs = {}
    for arm in ARMS:
        if arm == 'student':
            runs[arm] = [Run(config(student, arm), cell, s, extra=tuple(data))
                         for s in seeds]
            continue
        options = TEACHERS[teacher]
        tag = teacher
        if arm in width:
            options += (f'custom_hooks.0.stages.0.width={width[arm]}', )
            tag = f'{teacher}_w{width[arm]}'
        runs[arm] = [Run(config(student, arm), cell, s, options, tag,
                         distill) for s in seeds]
    return runs


def route_runs(student: str, teacher: str, cell: Cell,
               seeds: Sequence[int], data: Sequence[str],
               plain: Path) -> List[Run]:
    """The route-constrained arm: its config's stages, each distilling from
    the plain teacher run in ``plain`` as it was at the end of stage k's
    share of that run (epoch ceil(k E / n) of E, for n stages: epochs 3, 5,
    8 and 10 of a 10-epoch teacher, as the config names them)."""
    name = config(student, 'route')
    epochs = sorted(int(p.stem[len('epoch_'):])
                    for p in plain.glob('epoch_*.pth'))
    if not epochs:
        raise SystemExit(f'{plain} holds no checkpoint of the plain teacher')
    stages = route_stages(name)
    route = [plain / f'epoch_{-(-k * epochs[-1] // stages)}.pth'
             for k in range(1, stages + 1)]
    missing = [p.name for p in route if not p.exists()]
    if missing:
        raise SystemExit(f'{plain} lacks the route checkpoints {missing}: '
                         'the plain teacher must keep every epoch')
    options = (*TEACHERS[teacher], *(
        f'custom_hooks.0.stages.{k}.checkpoint={path}'
        for k, path in enumerate(route)))
    distill = (*data, f'model.teacher_ckpt={route[-1]}')
    return [Run(name, cell, s, options, f'{teacher}_route', distill)
            for s in seeds]


@functools.lru_cache(maxsize=None)
def route_stages(name: str) -> int:
    """How many stages a route config has (read in the main thread:
    mmengine's config loading is not thread-safe)."""
    from mmengine.config import Config
    return len(Config.fromfile(str(CONFIGS / name)).custom_hooks[0]['stages'])


def last_tenth_change(runs: Sequence[Run], root: Path) -> float:
    """Mean validation accuracy at the end minus at 90% of the run."""
    changes = []
    for run in runs:
        curve = val_result(run, root)['curve']
        end = curve[-1][0]
        before = [a for e, a in curve if e <= 0.9 * end]
        changes.append(curve[-1][1] - (before[-1] if before else 0.0))
    return summary(changes)['mean']


def cell_section(name: str, runs: Dict[str, List[Run]], cell: Cell,
                 root: Path) -> dict:
    vals = {arm: finals(arm_runs, root) for arm, arm_runs in runs.items()}
    flat = last_tenth_change(runs['student'], root)
    pairs: Tuple[Tuple[str, str], ...] = (
        ('kd', 'student'), ('kd_w05', 'kd'), ('kd_w025', 'kd'),
        ('pwkd', 'kd'), ('pwkd', 'student'))
    return dict(
        per_class=cell.per_class,
        epochs=cell.epochs,
        iterations=cell.epochs * -(-10 * cell.per_class // 128),
        arms={arm: arm_section(arm_runs, root, ARMS[arm])
              for arm, arm_runs in runs.items()},
        differences={f'{a} - {b}': paired_interval(vals[a], vals[b])
                     if len(vals[a]) > 1 else compare(vals[a], vals[b])
                     for a, b in pairs},
        student_last_tenth_change=flat,
        qualified=abs(flat) < FLAT)


def gap(args: argparse.Namespace, root: Path, data: Sequence[str],
        results: dict) -> dict:
    """Train every cell's arms (reusing finished runs) and report them."""
    seeds = range(args.seeds or 3)
    checkpoints = {t: slimmable_teacher(t, root, data, args.retrain_teachers)
                   for t in TEACHERS}
    grid = {cell_name(s, t, c): (c, cell_runs(s, t, c, seeds, data,
                                              checkpoints[t]))
            for s, t, c in CELLS}
    every = {r.name: r for _, runs in grid.values()
             for arm in runs.values() for r in arm}
    run_all(list(every.values()), root, args.jobs)
    cells = {name: dict(student=s, teacher=t,
                        **cell_section(name, grid[name][1], c, root))
             for (s, t, c), name in zip(CELLS, grid)}
    qualified = [n for n, c in cells.items() if c['qualified']]
    best = max(qualified, default=None,
               key=lambda n: cells[n]['differences']['pwkd - kd']['diff'])
    print(f'==> qualifying cells: {qualified}; PWKD + KD gains most over '
          f'KD in: {best}', flush=True)
    # The phase spans sessions: its cost is its runs' wall times (each
    # kept in its record), not this process's.
    return dict(split='val', seeds=list(seeds), flat_threshold=FLAT,
                cells=cells, best_cell=best, runs=len(every),
                run_seconds=sum(val_result(r, root)['seconds']
                                for r in every.values()))
