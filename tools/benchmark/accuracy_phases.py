"""The phases of the accuracy benchmark: teachers, pilot, study, final.

Each phase lists its runs, trains those not finished before and returns
its section of the results. Choices are made on the validation part; only
``final`` scores the test set.
"""
import argparse
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

from accuracy_runs import (SCORINGS, Cell, Run, run_all, score_test,
                           test_top1, train_once, val_history, val_result)
from accuracy_stats import compare, summary

STUDENT = 'resnet8_1xb128_fmnist-student.py'
KD = 'kd_resnet20_resnet8_1xb128_fmnist-student.py'
# Cheapest first: the pilot accepts the cheapest cell that qualifies.
# Subset size (1k, 2k, 5k images) at 30 epochs, and length (30, 60) at 1k.
PILOT_CELLS = (Cell(100, 30), Cell(200, 30), Cell(100, 60), Cell(500, 30))
TAUS = (2, 8)
MIN_GAIN = 1.5
TEACHER = 'resnet20_1xb128_fmnist-teacher.py'
SLIMMABLE = 'slimmable-resnet20_1xb128_fmnist-teacher.py'
# Slimmable teachers: name -> extra options of the slimmable config.
SLIMMABLE_VARIANTS = dict(
    slimmable=(),
    slimmable_1ep=('train_cfg.max_epochs=1', ),
    slimmable_inplace=('model.inplace_distill=True', ))


def teacher_checkpoints(root: Path, data: Sequence[str],
                        names: Sequence[str] = ('slimmable', )
                        ) -> Dict[str, Path]:
    """Train (or reuse) the teacher and the named slimmable teachers."""
    plain = train_once(TEACHER, root / 'teacher', data, 'teacher')
    checkpoints = {'teacher': plain}
    for name in names:
        checkpoints[name] = train_once(
            SLIMMABLE, root / name,
            [*data, f'load_from={plain}', *SLIMMABLE_VARIANTS[name]],
            f'{name} teacher')
    return checkpoints


def teachers(root: Path, data: Sequence[str],
             checkpoints: Dict[str, Path]) -> Dict[str, dict]:
    """Validation and test accuracy of each teacher (every width)."""
    results = {}
    for name, checkpoint in checkpoints.items():
        config = TEACHER if name == 'teacher' else SLIMMABLE
        results[name] = dict(
            checkpoint=str(checkpoint),
            val=val_history(root / name)[-1],
            test=score_test(config, checkpoint, root / name, data))
    return results


def distill_options(checkpoints: Dict[str, Path],
                    teacher: str = 'slimmable') -> Tuple[str, ...]:
    return (f'model.teacher_ckpt={checkpoints[teacher]}', )


def finals(runs: Sequence[Run], root: Path) -> List[float]:
    return [val_result(run, root)['val_top1'] for run in runs]


def arm_section(runs: Sequence[Run], root: Path,
                label: str) -> Dict[str, object]:
    """An arm's validation results per seed and their summary."""
    per_seed = {run.seed: val_result(run, root) for run in runs}
    return dict(
        label=label,
        config=runs[0].config,
        cell=runs[0].cell.slug,
        tag=runs[0].tag,
        seeds=sorted(per_seed),
        val_top1=[per_seed[s]['val_top1'] for s in sorted(per_seed)],
        **{f'val_{k}': v for k, v in summary(
            [r['val_top1'] for r in per_seed.values()]).items()},
        runs={str(s): r for s, r in per_seed.items()})


def pilot_runs(cell: Cell, seeds: Sequence[int], data: Sequence[str],
               distill: Sequence[str], tau: int = 4
               ) -> Tuple[List[Run], List[Run]]:
    """The student alone and KD at ``tau`` in ``cell``."""
    student = [Run(STUDENT, cell, s, extra=tuple(data)) for s in seeds]
    options = () if tau == 4 else (
        f'model.distill_losses.loss_kd.tau={tau}', )
    kd = [Run(KD, cell, s, options, 'base' if tau == 4 else f'tau{tau}',
              extra=(*data, *distill)) for s in seeds]
    return student, kd


def pilot(args: argparse.Namespace, root: Path, data: Sequence[str],
          results: dict) -> dict:
    """Subset size x schedule length, then tau, then the regime."""
    checkpoints = teacher_checkpoints(root, data)
    results['teachers'] = teachers(root, data, checkpoints)
    distill = distill_options(checkpoints)
    cells = PILOT_CELLS if not args.cells else tuple(
        Cell(*map(int, c.split('x'))) for c in args.cells)
    seeds = range(args.seeds or 3)
    grid = {cell: pilot_runs(cell, seeds, data, distill) for cell in cells}
    run_all([r for pair in grid.values() for runs in pair for r in runs],
            root, args.jobs)

    def gain(student: List[Run], kd: List[Run]) -> float:
        return compare(finals(kd, root), finals(student, root))['diff']

    promising = sorted(cells, key=lambda c: -gain(*grid[c]))[:2]
    taus = {(cell, tau): pilot_runs(cell, seeds, data, distill, tau)[1]
            for cell in promising for tau in TAUS}
    run_all([r for runs in taus.values() for r in runs], root, args.jobs)

    best_tau = {}
    for cell in cells:
        tried = {4: grid[cell][1], **{t: taus[(c, t)] for c, t in taus
                                      if c == cell}}
        best_tau[cell] = max(
            tried, key=lambda t: summary(finals(tried[t], root))['mean'])

    chosen, confirmations = None, []
    for cell in cells:
        student, kd = pilot_runs(cell, seeds, data, distill, best_tau[cell])
        if gain(student, kd) < MIN_GAIN:
            continue
        confirm = range(max(args.confirm_seeds, len(seeds)))
        student, kd = pilot_runs(cell, confirm, data, distill,
                                 best_tau[cell])
        run_all([*student, *kd], root, args.jobs)
        verdict = compare(finals(kd, root), finals(student, root))
        confirmations.append(dict(cell=cell.slug, tau=best_tau[cell],
                                  seeds=list(confirm), **verdict))
        if verdict['diff'] >= MIN_GAIN and verdict['verdict'] == 'better':
            chosen = cell
            break
    if chosen is None:
        chosen = max(cells, key=lambda c: gain(*pilot_runs(
            c, seeds, data, distill, best_tau[c])))
    section = dict(
        split='val',
        cells={
            cell.slug: dict(
                per_class=cell.per_class,
                epochs=cell.epochs,
                student=arm_section(grid[cell][0], root, 'student alone'),
                kd=arm_section(grid[cell][1], root, 'KD (tau 4)'),
                kd_minus_student=compare(finals(grid[cell][1], root),
                                         finals(grid[cell][0], root)))
            for cell in cells
        },
        taus={
            f'{cell.slug}_tau{tau}': arm_section(runs, root, f'KD (tau {tau})')
            for (cell, tau), runs in taus.items()
        },
        confirmations=confirmations,
        chosen=dict(cell=chosen.slug, per_class=chosen.per_class,
                    epochs=chosen.epochs, tau=best_tau[chosen],
                    qualified=any(c['cell'] == chosen.slug
                                  and c['verdict'] == 'better'
                                  for c in confirmations)))
    print(f'==> chosen regime: {section["chosen"]}', flush=True)
    return section


PWKD_PAPER = 'pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py'
DKD = 'dkd_resnet20_resnet8_1xb128_fmnist-student.py'
# PWKD + KD recipes (config, options, teacher): the LR round first.
LR_RECIPES = dict(
    pwkd_paper=('full LR restart per stage (paper)', PWKD_PAPER, ()),
    pwkd_no_restart=('no LR restart (one cosine)', PWKD_PAPER,
                     ('param_scheduler.restart=False', )),
    pwkd_damped=('damped restarts (peak x0.5 per stage)', PWKD_PAPER,
                 ('param_scheduler.restart_decay=0.5', )),
    pwkd_warmup=('restarts with a 10% linear warm-up', PWKD_PAPER,
                 ('param_scheduler.restart_warmup=0.1', )),
)
# Control: the whole teacher under the paper's LR restarts.
WHOLE = ('whole teacher, paper LR restarts (control)',
         'pwkd-kd-whole_resnet20_resnet8_1xb128_fmnist-student.py', ())
# The second round, each with the best LR shape of the first.
SHAPE_RECIPES = dict(
    pwkd_backloaded=('stages 1:2:4:8',
                     'pwkd-kd-backloaded_resnet20_resnet8_1xb128_fmnist-'
                     'student.py'),
    pwkd_short=('stages 10/10/10/70 %',
                'pwkd-kd-short_resnet20_resnet8_1xb128_fmnist-student.py'),
    pwkd_2stages=('2 stages (0.5, 1.0)',
                  'pwkd-kd-2stages_resnet20_resnet8_1xb128_fmnist-student.py'),
)
GRADUAL = ('gradual curriculum (width drawn per iteration), one cosine',
           'pwkd-kd-gradual_resnet20_resnet8_1xb128_fmnist-student.py', ())
TEACHER_VARIANTS = dict(
    pwkd_teacher_1ep=('slimmable teacher fine-tuned 1 epoch (not 3)',
                      'slimmable_1ep'),
    pwkd_teacher_inplace=('slimmable teacher with in-place distillation',
                          'slimmable_inplace'),
)
# DKD (its published recipe) on top of any PWKD + KD config.
DKD_OPTIONS = ('model.student_loss_weight=1.0',
               'model.distill_losses.loss_kd=None',
               'model.distill_losses.loss_dkd.type=DKDLoss',
               'model.distill_losses.loss_dkd.tau=4',
               'model.distill_losses.loss_dkd.alpha=1',
               'model.distill_losses.loss_dkd.beta=8',
               'model.distill_losses.loss_dkd.loss_weight=1.0')
WARMUP = ('default_hooks.distill_warmup.type=DistillWarmupHook',
          'default_hooks.distill_warmup.ratio=0.08')


def chosen_cell(results: dict) -> Cell:
    """The pilot's regime."""
    if 'pilot' not in results:
        raise SystemExit('run the pilot first: python '
                         'tools/benchmark/accuracy.py pilot')
    chosen = results['pilot']['chosen']
    return Cell(chosen['per_class'], chosen['epochs'])


class Recipe(dict):
    """An arm: name, label, config, options, teacher and tag (what names
    its runs' folders, so a renamed copy reuses the runs). A plain dict,
    so that it goes into the JSON as it is."""

    def runs(self, cell: Cell, seeds: Sequence[int], data: Sequence[str],
             checkpoints: Dict[str, Path]) -> List[Run]:
        extra = (*data, *distill_options(checkpoints, self['teacher']))
        if self['config'] == STUDENT:
            extra = tuple(data)
        return [Run(self['config'], cell, s, tuple(self['options']),
                    self['tag'], extra) for s in seeds]

    def renamed(self, name: str, label: str) -> 'Recipe':
        return Recipe(self, name=name, label=label)


def recipe(name: str, label: str, config: str,
           options: Sequence[str] = (), teacher: str = 'slimmable',
           tag: str = '') -> Recipe:
    default = not options and teacher == 'slimmable'
    return Recipe(name=name, label=label, config=config,
                  options=list(options), teacher=teacher,
                  tag=tag or ('base' if default else name))


def best(recipes: Sequence[Recipe], cell: Cell, seeds: Sequence[int],
         data: Sequence[str], checkpoints: Dict[str, Path],
         root: Path) -> Recipe:
    """The recipe with the highest mean validation accuracy."""
    return max(recipes, key=lambda r: summary(finals(
        r.runs(cell, seeds, data, checkpoints), root))['mean'])


def study(args: argparse.Namespace, root: Path, data: Sequence[str],
          results: dict) -> dict:
    """PWKD recipes on the validation part, round by round."""
    cell = chosen_cell(results)
    checkpoints = teacher_checkpoints(root, data, list(SLIMMABLE_VARIANTS))
    results['teachers'] = teachers(root, data, checkpoints)
    seeds = range(args.seeds or 3)

    def train(recipes: Sequence[Recipe]) -> None:
        run_all([r for rec in recipes
                 for r in rec.runs(cell, seeds, data, checkpoints)],
                root, args.jobs)

    kd = recipe('kd', 'KD', KD)
    lr_round = [recipe(n, *spec) for n, spec in LR_RECIPES.items()]
    whole = recipe('pwkd_whole', *WHOLE)
    train([kd, *lr_round, whole])
    best_lr = best(lr_round, cell, seeds, data, checkpoints, root)
    lr = best_lr['options']
    shape_round = [
        recipe(n, f'{label}, {best_lr["label"]}', config, lr)
        for n, (label, config) in SHAPE_RECIPES.items()
    ]
    shape_round.append(recipe('pwkd_gradual', *GRADUAL))
    shape_round += [
        recipe(n, f'{label}, {best_lr["label"]}', PWKD_PAPER, lr, teacher)
        for n, (label, teacher) in TEACHER_VARIANTS.items()
    ]
    train(shape_round)
    winner = best([*lr_round, *shape_round], cell, seeds, data, checkpoints,
                  root)
    dkd_round = [
        recipe('dkd_warmup', 'DKD, loss warm-up over 8%', DKD, WARMUP),
        recipe('dkd_no_warmup', 'DKD, no warm-up', DKD)
    ]
    train(dkd_round)
    dkd = best(dkd_round, cell, seeds, data, checkpoints, root)
    arms = [kd, *lr_round, whole, *shape_round, *dkd_round]
    section = dict(
        split='val',
        cell=cell.slug,
        arms={
            rec['name']: dict(
                rec,
                **arm_section(rec.runs(cell, seeds, data, checkpoints),
                              root, rec['label']),
                minus_kd=compare(
                    finals(rec.runs(cell, seeds, data, checkpoints), root),
                    finals(kd.runs(cell, seeds, data, checkpoints), root)))
            for rec in arms
        },
        best_lr=best_lr['name'],
        best_recipe=dict(winner),
        dkd_warmup=dkd['name'] == 'dkd_warmup')
    print(f'==> best LR shape: {best_lr["label"]}; best recipe: '
          f'{winner["label"]}; DKD warm-up: {section["dkd_warmup"]}',
          flush=True)
    return section


def final_recipes(results: dict) -> List[Recipe]:
    """The final table's arms, from the study's choices."""
    if 'study' not in results:
        raise SystemExit('run the study first: python '
                         'tools/benchmark/accuracy.py study')
    study_ = results['study']
    winner = Recipe(study_['best_recipe'])
    dkd = 'dkd_warmup' if study_['dkd_warmup'] else 'dkd_no_warmup'
    warmup = WARMUP if study_['dkd_warmup'] else ()
    return [
        recipe('student', 'student alone', STUDENT),
        recipe('kd', 'KD', KD),
        recipe('pwkd_paper', 'PWKD + KD (paper recipe)', PWKD_PAPER),
        winner.renamed('pwkd_best',
                       f'PWKD + KD (best recipe: {winner["label"]})'),
        Recipe({k: study_['arms'][dkd][k] for k in winner}).renamed(
            'dkd', study_['arms'][dkd]['label']),
        recipe('pwkd_dkd',
               f'PWKD + DKD (best recipe: {winner["label"]})',
               winner['config'],
               [*winner['options'], *DKD_OPTIONS, *warmup],
               winner['teacher'], tag=f'dkd_{winner["tag"]}'),
    ]


def final(args: argparse.Namespace, root: Path, data: Sequence[str],
          results: dict) -> dict:
    """The chosen arms over 5 seeds, scored once on the test set."""
    cell = chosen_cell(results)
    recipes = final_recipes(results)
    teacher_names = {r['teacher'] for r in recipes} - {'teacher'}
    checkpoints = teacher_checkpoints(root, data, sorted(teacher_names))
    seeds = range(args.seeds or 5)
    runs = {r['name']: r.runs(cell, seeds, data, checkpoints)
            for r in recipes}
    run_all([run for arm in runs.values() for run in arm], root, args.jobs,
            scorings=tuple(SCORINGS))
    arms = {rec['name']: test_arm(rec, runs[rec['name']], root)
            for rec in recipes}
    pairs = (('kd', 'student'), ('pwkd_paper', 'kd'), ('pwkd_best', 'kd'),
             ('dkd', 'student'), ('pwkd_dkd', 'dkd'), ('dkd', 'kd'))
    return dict(
        split='test',
        cell=cell.slug,
        seeds=list(seeds),
        arms=arms,
        differences={
            f'{a} - {b}': compare(arms[a]['test_top1'], arms[b]['test_top1'])
            for a, b in pairs
        },
        learning_speed=learning_speed(arms))


def test_arm(rec: dict, runs: Sequence[Run], root: Path) -> dict:
    """An arm's validation results and its test top-1 per seed, scored with
    BN statistics re-estimated (``test_top1``) and as saved."""
    test = [test_top1(run, root) for run in runs]
    as_saved = [test_top1(run, root, 'as_saved') for run in runs]
    print(f'==> {rec["label"]}: test top-1 {test} (as saved {as_saved})',
          flush=True)
    return dict(
        rec,
        **arm_section(runs, root, rec['label']),
        scoring='precise_bn',
        test_top1=test,
        **{f'test_{k}': v for k, v in summary(test).items()},
        test_top1_as_saved=as_saved)


def learning_speed(arms: Dict[str, dict]) -> Dict[str, dict]:
    """Validation curves: epochs and training seconds to reach KD's final
    accuracy minus 1 point, and accuracy at the training time of the
    cheapest distillation arm (means over seeds)."""
    target = arms['kd']['val_mean'] - 1.0

    def mean_curve(arm: dict) -> List[Tuple[int, float, float]]:
        runs = list(arm['runs'].values())
        points = []
        for i, (epoch, _) in enumerate(runs[0]['curve']):
            acc = sum(r['curve'][i][1] for r in runs) / len(runs)
            secs = sum(r['train_seconds'][i] for r in runs) / len(runs)
            points.append((epoch, acc, secs))
        return points

    curves = {name: mean_curve(arm) for name, arm in arms.items()}
    budget = min(curve[-1][2] for name, curve in curves.items()
                 if name != 'student')
    speed = {}
    for name, curve in curves.items():
        reached = next((p for p in curve if p[1] >= target), None)
        within = [p for p in curve if p[2] <= budget + 1e-9]
        speed[name] = dict(
            target=target,
            epochs_to_target=reached[0] if reached else None,
            seconds_to_target=reached[2] if reached else None,
            train_seconds=curve[-1][2],
            budget_seconds=budget,
            val_at_budget=within[-1][1] if within else None)
    return speed
