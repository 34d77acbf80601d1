"""The pre-registered final of the second study, on the test set.

Its rule was written into ``docs/benchmarks/accuracy.md`` before it ran:
in the qualifying cell of the ``gap`` phase where PWKD + KD gains most
over KD on validation, over seeds 0 to n-1, where n (10 to 20) is the
fewest seeds whose 95% interval of PWKD + KD - KD is at most half a point
either side, at that difference's paired sd on validation (pooled over
the gap phase's cells),

- arms: the student alone, KD, PWKD + KD (default recipe), the best other
  staged arm of that cell on validation (KD from the fixed width-0.5 or
  width-0.25 teacher, or the route-constrained teacher, whose validation
  runs this phase trains first, over the gap phase's seeds), and KD
  scheduled to end at PWKD + KD's training time (equal cost; the ratio of
  the two measured side by side, ``accuracy_cost.py``);
- each difference X - KD is a **gain** if the 95% confidence interval of
  the paired difference lies above 0, **no gain of 0.5 points or more** if
  it lies below +0.5, and **inconclusive** otherwise.

Every arm is scored with BN statistics re-estimated on its training data
(``test_top1``) and as saved (``test_top1_as_saved``).
"""
import argparse
import math
from pathlib import Path
from statistics import mean
from typing import Dict, List, Sequence

import accuracy_records
from accuracy_cost import step_cost_ratio
from accuracy_gap import ARMS, TEACHERS, cell_runs, config, route_runs
from accuracy_phases import arm_section, test_arm
from accuracy_runs import CONFIGS, SCORINGS, Cell, Run, run_all, val_result
from accuracy_stats import paired_interval, seeds_to_see
from accuracy_teachers import plain_teacher, slimmable_teacher

STAGED = ('kd_w05', 'kd_w025', 'route')
LABELS = dict(ARMS, route='route-constrained KD (teacher checkpoints)')


def chosen(results: dict) -> dict:
    """The gap phase's best qualifying cell, or a stop that says why."""
    gap = results.get('gap')
    if gap is None:
        raise SystemExit('run the gap phase first: python '
                         'tools/benchmark/accuracy.py gap')
    if gap['best_cell'] is None:
        raise SystemExit('no cell of the gap phase qualified (its student '
                         'alone was still learning): by the pre-registered '
                         'rule there is no final to run')
    return dict(gap['cells'][gap['best_cell']], name=gap['best_cell'])


def seed_rule(results: dict) -> dict:
    """How many seeds the final needs for its interval of PWKD + KD - KD
    to be at most half a point either side (10 to 20): from that
    difference's paired sd on validation, pooled over the gap phase's
    cells (each has the same seeds, so the variances are averaged)."""
    sds = [cell['differences']['pwkd - kd']['paired_sd']
           for cell in results['gap']['cells'].values()]
    sd = math.sqrt(mean(s * s for s in sds))
    return dict(paired_sd=sd, cells=len(sds), seeds=seeds_to_see(sd))


def paired_scorings(a: dict, b: dict) -> dict:
    """Arm ``a`` - arm ``b`` on test, paired by seed, in both scorings."""
    return dict(precise_bn=paired_interval(a['test_top1'], b['test_top1']),
                as_saved=paired_interval(a['test_top1_as_saved'],
                                         b['test_top1_as_saved']))


def best_staged(arms: dict) -> str:
    """The staged arm other than PWKD + KD with the best validation mean."""
    return max(STAGED, key=lambda arm: arms[arm]['val_mean'])


def runs_cost_ratio(arms: dict) -> float:
    """PWKD + KD's training time over KD's from the runs of ``arms`` (mean
    over seeds of the summed iteration times): a cross-check of the
    side-by-side measurement, which the load of the moment each run ran
    does not bias."""
    def seconds(arm: str) -> float:
        return mean(r['train_seconds'][-1]
                    for r in arms[arm]['runs'].values())
    return seconds('pwkd') / seconds('kd')


def equal_cost(results: dict, cell: dict, data: Sequence[str],
               rounds: int) -> dict:
    """KD's epochs at PWKD + KD's training time in ``cell``: the cost ratio
    measured side by side (:func:`step_cost_ratio`), once per cell; a rerun
    reuses it from ``results`` while the cell, the PWKD config (by its
    resolved text), the options and the rounds are the same, so that the
    arm stays the same run."""
    options = (*TEACHERS[cell['teacher']], *data)
    pwkd = config(cell['student'], 'pwkd')
    # Where the data lies does not change the cost (another machine).
    inputs = dict(cell=cell['name'], config=pwkd,
                  config_digest=accuracy_records.config_digest(CONFIGS / pwkd),
                  options=[o for o in options if '.data_root=' not in o],
                  rounds=rounds)
    # Kept in the records as soon as it is measured, so that a phase killed
    # before its end trains the same equal-cost arm when it continues.
    record = Path('equal_cost') / cell['name']
    done = results.get('verdict', {}).get('equal_cost', {})
    if done.get('inputs') != inputs:
        done = (accuracy_records.load(record, inputs) or {}).get('cost', {})
    if done.get('inputs') == inputs:
        print(f'==> reusing the measured cost ratio {done["ratio"]:.3f} '
              f'(KD for {done["epochs"]} epochs)', flush=True)
        accuracy_records.save(record, inputs, cost=done)
        return done
    print('==> measuring PWKD + KD\'s step cost against KD\'s, side by '
          'side', flush=True)
    measured = step_cost_ratio(CONFIGS / pwkd, options, rounds)
    cost = dict(
        inputs=inputs,
        cell=cell['name'],
        ratio=measured['ratio'],
        epochs=max(1, round(cell['epochs'] * measured['ratio'])),
        measured=measured,
        runs_ratio=runs_cost_ratio(cell['arms']))
    print(f'==> PWKD + KD costs {cost["ratio"]:.3f} of KD: KD at equal cost '
          f'trains {cost["epochs"]} epochs', flush=True)
    accuracy_records.save(record, inputs, cost=cost)
    return cost


def verdict(args: argparse.Namespace, root: Path, data: Sequence[str],
            results: dict) -> dict:
    """Train the pre-registered arms over the seed rule's seeds and judge
    them."""
    cell = chosen(results)
    regime = Cell(cell['per_class'], cell['epochs'])
    rule = seed_rule(results)
    seeds = range(args.seeds or rule['seeds'])
    print(f'==> {len(seeds)} seeds (PWKD + KD - KD paired sd '
          f'{rule["paired_sd"]:.2f} on validation: {rule["seeds"]} seeds '
          'see half a point)', flush=True)
    teacher = slimmable_teacher(cell['teacher'], root, data,
                                args.retrain_teachers)
    grid = cell_runs(cell['student'], cell['teacher'], regime, seeds, data,
                     teacher)
    plain = plain_teacher(cell['teacher'], root, data,
                          args.retrain_teachers)
    grid['route'] = route_runs(cell['student'], cell['teacher'], regime,
                               seeds, data, plain)
    # The route arm on validation, over the gap phase's seeds, beside the
    # gap phase's staged arms: the best of them joins the final.
    route_val = [r for r in grid['route'] if r.seed in results['gap']['seeds']]
    run_all(route_val, root, args.jobs)
    staged_arms = dict(cell['arms'], route=arm_section(
        route_val, root, LABELS['route']))
    staged = best_staged(staged_arms)
    runs: Dict[str, List[Run]] = {
        arm: grid[arm] for arm in ('student', 'kd', 'pwkd', staged)}
    cost = equal_cost(results, cell, data, args.cost_rounds)
    cheap = Cell(cell['per_class'], cost['epochs'])
    runs['kd_equal_cost'] = [
        Run(config(cell['student'], 'kd'), cheap, run.seed, run.options,
            run.tag, run.extra) for run in grid['kd']]
    run_all([r for arm in runs.values() for r in arm], root, args.jobs,
            scorings=tuple(SCORINGS))
    labels = dict(LABELS, kd_equal_cost=f'KD, {cheap.epochs} epochs (PWKD '
                  f'+ KD\'s training time)')
    arms = {arm: test_arm(dict(name=arm, label=labels[arm],
                               config=arm_runs[0].config,
                               cell=arm_runs[0].cell.slug), arm_runs, root)
            for arm, arm_runs in runs.items()}
    results['arms'] = arms
    pairs = (('pwkd', 'kd'), (staged, 'kd'), ('kd_equal_cost', 'kd'),
             ('pwkd', 'kd_equal_cost'), ('kd', 'student'))
    # The phase's own runs: the gap phase trained seeds of its arms before.
    gap_seeds = set(results['gap']['seeds'])
    own = {r.name: r for arm, arm_runs in runs.items() for r in arm_runs
           if arm not in cell['arms'] or r.seed not in gap_seeds}
    own.update((r.name, r) for r in route_val)
    return dict(
        split='test',
        cell=cell['name'],
        seeds=list(seeds),
        runs=len(own),
        run_seconds=sum(val_result(r, root)['seconds'] for r in own.values()),
        seed_rule=rule,
        best_staged=staged,
        staged_val={arm: {k: staged_arms[arm][k] for k in (
            'label', 'val_top1', 'val_mean', 'val_std')} for arm in STAGED},
        equal_cost=cost,
        differences={f'{a} - {b}': paired_scorings(arms[a], arms[b])
                     for a, b in pairs})


def cost_check(args: argparse.Namespace, root: Path, data: Sequence[str],
               results: dict) -> dict:
    """After the final, not pre-registered: PWKD + KD against KD trained
    for the epochs that the runs' own clocks give PWKD + KD's time.

    The final's equal-cost arm takes its length from step times measured
    side by side, which leave out what both arms pay outside the step and
    so can only favour PWKD + KD; the runs' summed iteration times carry
    the machine's load while each ran. This check trains KD at the ratio
    of the final's own PWKD + KD and KD runs and at the gap phase's, and
    judges PWKD + KD against each with the final's interval rule.
    """
    if 'verdict' not in results:
        raise SystemExit('run the verdict first: python '
                         'tools/benchmark/accuracy.py verdict')
    verdict, arms = results['verdict'], results['arms']
    cell = dict(results['gap']['cells'][verdict['cell']],
                name=verdict['cell'])
    seeds = verdict['seeds']
    ratios = dict(final_runs=runs_cost_ratio(arms),
                  gap_runs=verdict['equal_cost']['runs_ratio'])
    lengths = sorted({max(1, round(cell['epochs'] * r))
                      for r in ratios.values()})
    teacher = slimmable_teacher(cell['teacher'], root, data,
                                args.retrain_teachers)
    kd = cell_runs(cell['student'], cell['teacher'],
                   Cell(cell['per_class'], cell['epochs']), seeds, data,
                   teacher)['kd']
    runs = {f'kd_e{n}': [Run(r.config, Cell(cell['per_class'], n), r.seed,
                             r.options, r.tag, r.extra) for r in kd]
            for n in lengths}
    run_all([r for arm in runs.values() for r in arm], root, args.jobs,
            scorings=tuple(SCORINGS))
    checked = {arm: test_arm(dict(name=arm, label=f'KD, {r[0].cell.epochs} '
                                  'epochs', config=r[0].config,
                                  cell=r[0].cell.slug), r, root)
               for arm, r in runs.items()}
    return dict(
        split='test',
        preregistered=False,
        cell=verdict['cell'],
        seeds=seeds,
        ratios=ratios,
        epochs=lengths,
        arms=checked,
        differences={f'pwkd - {arm}': paired_scorings(arms['pwkd'], a)
                     for arm, a in checked.items()})
