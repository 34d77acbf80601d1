"""Tables and plots of the accuracy benchmark, from its JSON results."""
from pathlib import Path
from typing import Dict, List, Sequence

from accuracy_plots import (plot_final, plot_gap, plot_pilot,
                            plot_replication, plot_verdict)

TEACHER_LABELS = dict(teacher='resnet20', slimmable='slimmable resnet20',
                      slimmable_1ep='slimmable, 1-epoch fine-tune',
                      slimmable_inplace='slimmable, in-place distilled')


def _fmt(mean: float, std: float) -> str:
    return f'{mean:.2f} +- {std:.2f}'


def _seeds(values: Sequence[float]) -> str:
    return ', '.join(f'{v:.2f}' for v in values)


def teacher_table(teachers: Dict[str, dict]) -> List[str]:
    lines = ['| teacher | split | whole | w0.25 | w0.5 | w0.75 | w1.0 |',
             '|---|---|---|---|---|---|---|']
    for name, teacher in teachers.items():
        for split in ('val', 'test'):
            metrics = teacher[split]
            widths = [metrics.get(f'accuracy/top1_w{w}')
                      for w in ('0.25', '0.5', '0.75', '1.0')]
            cells = ['' if v is None else f'{v:.2f}' for v in widths]
            lines.append(f'| {TEACHER_LABELS.get(name, name)} | {split} | '
                         f'{metrics["accuracy/top1"]:.2f} | '
                         + ' | '.join(cells) + ' |')
    return lines


def diversity_table(section: dict) -> List[str]:
    """Every width of every slimmable teacher against its whole network."""
    lines = [f'| teacher | width | val top-1 | agreement with whole (%) | '
             f'KL(whole ‖ width), tau {section["tau"]:g} |',
             '|---|---|---|---|---|']
    for name, teacher in section['teachers'].items():
        for row in teacher['widths']:
            lines.append(f'| {name} | {row["width"]:g} | {row["top1"]:.2f} '
                         f'| {row["agree"]:.2f} | {row["kl"]:.4f} |')
    return lines


def gap_table(gap: dict) -> List[str]:
    """Every arm of every cell, then the differences that answer the
    study's questions, with 95% confidence intervals."""
    arms = ('student', 'kd', 'kd_w05', 'kd_w025', 'pwkd')
    lines = ['| cell | iterations | student alone | KD | KD w0.5 | KD w0.25 '
             '| PWKD + KD | student trained (last-tenth change) |',
             '|---|---|---|---|---|---|---|---|']
    for name, cell in gap['cells'].items():
        values = [_fmt(cell['arms'][a]['val_mean'], cell['arms'][a]['val_std'])
                  for a in arms]
        lines.append(f'| {name} | {cell["iterations"]} | '
                     + ' | '.join(values) +
                     f' | {"yes" if cell["qualified"] else "no"} '
                     f'({cell["student_last_tenth_change"]:+.2f}) |')
    lines += ['', '| cell | difference | mean | 95% CI | paired t | '
              'verdict (2 x pooled std) |', '|---|---|---|---|---|---|']
    for name, cell in gap['cells'].items():
        for key, d in cell['differences'].items():
            ci = d.get('ci95')
            interval = f'[{ci[0]:+.2f}, {ci[1]:+.2f}]' if ci else '-'
            lines.append(f'| {name} | {key} | {d["diff"]:+.2f} | {interval} '
                         f'| {d["t"]:+.2f} | {d["verdict"]} |')
    return lines


def run_time(section: dict) -> List[str]:
    """What a phase's runs cost, summed over sessions."""
    hours = section['run_seconds'] / 3600
    return [f'{section["runs"]} runs, {hours:.1f} h of run time in all '
            f'(about {hours / 2:.1f} h of wall time two at a time).']


def test_arm_rows(arms: Dict[str, dict]) -> List[str]:
    """A table of arms scored on test: mean +- std, per seed, as saved."""
    lines = ['| arm | test top-1 (%), BN re-estimated | per seed | as saved |',
             '|---|---|---|---|']
    for arm in arms.values():
        lines.append(f'| {arm["label"]} | '
                     f'{_fmt(arm["test_mean"], arm["test_std"])} | '
                     f'{_seeds(arm["test_top1"])} | '
                     f'{_seeds(arm["test_top1_as_saved"])} |')
    return lines


def difference_row(key: str, scoring: str, d: dict) -> str:
    """A paired difference's row up to its interval, open for verdicts."""
    return (f'| {key} | {scoring} | {d["diff"]:+.2f} | '
            f'{d["paired_sd"]:.2f} | {d["t"]:+.2f} | '
            f'[{d["ci95"][0]:+.2f}, {d["ci95"][1]:+.2f}] |')


def verdict_table(results: dict) -> List[str]:
    """The pre-registered final: every arm per seed, then each difference
    with its 95% confidence interval and verdict, in both scorings."""
    verdict, arms = results['verdict'], results['arms']
    rule = verdict['seed_rule']
    lines = [f'{len(verdict["seeds"])} seeds: the seed rule asked for '
             f'{rule["seeds"]}, from PWKD + KD - KD\'s paired sd on '
             f'validation, {rule["paired_sd"]:.2f} pooled over '
             f'{rule["cells"]} cells.', '',
             'The staged arm that joins the final, chosen on validation '
             f'(seeds {results["gap"]["seeds"]}): '
             f'`{verdict["best_staged"]}`.', '',
             '| staged arm | val top-1 (%) | per seed |', '|---|---|---|']
    for arm in verdict['staged_val'].values():
        lines.append(f'| {arm["label"]} | '
                     f'{_fmt(arm["val_mean"], arm["val_std"])} | '
                     f'{_seeds(arm["val_top1"])} |')
    lines += ['', *test_arm_rows(arms)]
    lines += ['', '| difference | scoring | mean | paired sd | t | 95% CI | '
              'pre-registered verdict | 2 x pooled std rule |',
              '|---|---|---|---|---|---|---|---|']
    for key, scorings in verdict['differences'].items():
        for scoring, d in scorings.items():
            lines.append(f'{difference_row(key, scoring, d)} '
                         f'**{d["preregistered"]}** | {d["verdict"]} |')
    pwkd = verdict['differences']['pwkd - kd']
    lines += ['', 'BN statistics: PWKD + KD - KD is '
              f'{pwkd["as_saved"]["diff"]:+.2f} as saved and '
              f'{pwkd["precise_bn"]["diff"]:+.2f} with them re-estimated; '
              'the re-estimation moves it by '
              f'{pwkd["precise_bn"]["diff"] - pwkd["as_saved"]["diff"]:+.2f}'
              ' points.']
    if 'equal_cost' in verdict:
        lines += ['', *equal_cost_lines(verdict['equal_cost'])]
    if 'run_seconds' in verdict:
        lines += ['', *run_time(verdict)]
    return lines


def equal_cost_lines(cost: dict) -> List[str]:
    """How the equal-cost KD arm's length was set."""
    measured = cost['measured']
    quartiles = measured['spread']
    steps = ', '.join(f'width {w}: {1000 * t:.0f} ms'
                      for w, t in measured['step_seconds'].items())
    return [f'Equal cost: PWKD + KD\'s training step costs '
            f'{cost["ratio"]:.3f} of KD\'s (median over '
            f'{measured["rounds"]} side-by-side rounds, quartiles '
            f'{quartiles["q1"]:.3f}-{quartiles["q3"]:.3f}; one step at batch '
            f'{measured["batch_size"]}, {measured["threads"]} thread(s): '
            f'{steps}), so KD at equal cost trains {cost["epochs"]} epochs. '
            'Cross-check from the gap phase\'s runs (summed iteration '
            f'times): {cost["runs_ratio"]:.3f}.']


def cost_check_table(check: dict) -> List[str]:
    """PWKD + KD against KD at the lengths the runs' own clocks give its
    training time."""
    ratios = check['ratios']
    lines = ['PWKD + KD\'s training time over KD\'s by the runs\' summed '
             f'iteration times: {ratios["final_runs"]:.3f} (the final\'s '
             f'runs), {ratios["gap_runs"]:.3f} (the gap phase\'s), so KD '
             f'for {" and ".join(map(str, check["epochs"]))} epochs.', '',
             *test_arm_rows(check['arms'])]
    lines += ['', '| difference | scoring | mean | paired sd | t | 95% CI | '
              'by the final\'s rule |', '|---|---|---|---|---|---|---|']
    for key, scorings in check['differences'].items():
        for scoring, d in scorings.items():
            lines.append(f'{difference_row(key, scoring, d)} '
                         f'{d["preregistered"]} |')
    return lines


# The comparisons over new seeds, judged against half a point: their
# section, heading, plot and the plot's title.
NEW_SEED_SECTIONS = (
    ('replication', 'Replication over new seeds', 'accuracy_replication.png',
     'Replication'),
    ('gap_check', 'A larger capacity gap', 'accuracy_gap_check.png',
     'Larger capacity gap'))


def replication_table(section: dict) -> List[str]:
    """A comparison over new seeds (the replication, the gap check): its
    arms, each difference with its interval and verdict on the new seeds,
    then, where earlier seeds are pooled with these, the same on all
    seeds, not judged."""
    seeds = section['seeds']
    basis = section.get('cost_basis', 'the gap phase\'s runs')
    lines = [f'Cell `{section["cell"]}`, seeds {seeds[0]}-{seeds[-1]}; KD '
             f'for {section["cheap_epochs"]} epochs takes PWKD + KD\'s '
             f'training time by {basis}.', '',
             *test_arm_rows(section['arms']), '',
             '| difference | scoring | mean | paired sd | t | 95% CI | '
             'pre-registered verdict |', '|---|---|---|---|---|---|---|']
    for key, scorings in section['differences'].items():
        for scoring, d in scorings.items():
            lines.append(f'{difference_row(key, scoring, d)} '
                         f'**{d["replication"]}** |')
    pooled = section.get('pooled')
    if pooled is None:
        return [*lines, '', *run_time(section)]
    lines += ['', f'All {len(pooled["seeds"])} seeds, the final\'s and the '
              'cost check\'s pooled with these (not judged):', '',
              '| difference | scoring | mean | paired sd | t | 95% CI |',
              '|---|---|---|---|---|---|']
    for key, scorings in pooled['differences'].items():
        for scoring, d in scorings.items():
            lines.append(difference_row(key, scoring, d))
    return [*lines, '', *run_time(section)]


def pilot_table(pilot: dict) -> List[str]:
    lines = ['| cell (images/class x epochs) | images seen | student alone '
             '| KD | KD - student | 2 x pooled std | paired t |',
             '|---|---|---|---|---|---|---|']
    for cell in pilot["cells"].values():
        diff = cell['kd_minus_student']
        lines.append(
            f'| {cell["per_class"]} x {cell["epochs"]} | '
            f'{10 * cell["per_class"] * cell["epochs"] // 1000}k | '
            f'{_fmt(cell["student"]["val_mean"], cell["student"]["val_std"])}'
            f' | {_fmt(cell["kd"]["val_mean"], cell["kd"]["val_std"])} | '
            f'{diff["diff"]:+.2f} | {diff["two_pooled_std"]:.2f} | '
            f'{diff["t"]:+.2f} |')
    lines += ['', '| tau | cell | KD (val) | per seed |', '|---|---|---|---|']
    for name, arm in pilot['taus'].items():
        lines.append(f'| {name.rsplit("tau", 1)[1]} | {arm["cell"]} | '
                     f'{_fmt(arm["val_mean"], arm["val_std"])} | '
                     f'{_seeds(arm["val_top1"])} |')
    lines += ['', '| confirmed cell | tau | seeds | KD - student | '
              '2 x pooled std | paired t | verdict |',
              '|---|---|---|---|---|---|---|']
    for c in pilot['confirmations']:
        lines.append(f'| {c["cell"]} | {c["tau"]} | {len(c["seeds"])} | '
                     f'{c["diff"]:+.2f} | {c["two_pooled_std"]:.2f} | '
                     f'{c["t"]:+.2f} | {c["verdict"]} |')
    return lines


def study_table(study: dict) -> List[str]:
    lines = ['| arm | val top-1 (%) | per seed | - KD | 2 x pooled std | '
             'paired t |', '|---|---|---|---|---|---|']
    for arm in study['arms'].values():
        diff = arm['minus_kd']
        lines.append(
            f'| {arm["label"]} | {_fmt(arm["val_mean"], arm["val_std"])} | '
            f'{_seeds(arm["val_top1"])} | {diff["diff"]:+.2f} | '
            f'{diff["two_pooled_std"]:.2f} | {diff["t"]:+.2f} |')
    return lines


def final_table(results: dict) -> List[str]:
    final = results['final']
    arms = final['arms']
    lines = ['| arm | test top-1 (%) | per seed (seeds '
             f'{", ".join(map(str, final["seeds"]))}) |', '|---|---|---|']
    for arm in arms.values():
        lines.append(f'| {arm["label"]} | '
                     f'{_fmt(arm["test_mean"], arm["test_std"])} | '
                     f'{_seeds(arm["test_top1"])} |')
    lines += ['', '| comparison (test) | mean difference | 2 x pooled std | '
              'paired sd | paired t | verdict |', '|---|---|---|---|---|---|']
    for name, d in final['differences'].items():
        lines.append(f'| {name} | {d["diff"]:+.2f} | '
                     f'{d["two_pooled_std"]:.2f} | {d["paired_sd"]:.2f} | '
                     f'{d["t"]:+.2f} | {d["verdict"]} |')
    lines += ['', '| arm (validation curves) | epochs to KD - 1 point | '
              'train seconds to it | train seconds in all | val at the '
              'cheapest distillation arm\'s time |', '|---|---|---|---|---|']
    for name, s in final['learning_speed'].items():
        epochs = '-' if s['epochs_to_target'] is None else \
            s['epochs_to_target']
        secs = '-' if s['seconds_to_target'] is None else \
            f'{s["seconds_to_target"]:.0f}'
        at = '-' if s['val_at_budget'] is None else \
            f'{s["val_at_budget"]:.2f}'
        lines.append(f'| {arms[name]["label"]} | {epochs} | {secs} | '
                     f'{s["train_seconds"]:.0f} | {at} |')
    return lines


def write(results: dict, folder: Path) -> Path:
    """Write ``accuracy_tables.md`` and the plots into ``folder``."""
    parts = ['# Accuracy benchmark: generated tables', '',
             'Written by `tools/benchmark/accuracy.py` from `accuracy.json`.',
             '']
    if 'teachers' in results:
        parts += ['## Teachers', '', *teacher_table(results['teachers']), '']
    if 'diversity' in results:
        parts += ['## Partial teachers against the whole (validation)', '',
                  *diversity_table(results['diversity']), '']
    if 'gap' in results:
        parts += ['## Capacity gap x schedule length (validation)', '',
                  *gap_table(results['gap']), '',
                  f'Best qualifying cell for PWKD: '
                  f'`{results["gap"]["best_cell"]}`', '',
                  *run_time(results['gap']), '']
        plot_gap(results['gap'], folder / 'accuracy_gap.png')
    if 'verdict' in results:
        parts += ['## Pre-registered final (test)', '',
                  f'Cell `{results["verdict"]["cell"]}`, seeds '
                  f'{results["verdict"]["seeds"]}.', '',
                  *verdict_table(results), '']
        plot_verdict(results, folder / 'accuracy_verdict.png')
    if 'cost_check' in results:
        parts += ['## Equal cost by the runs\' clocks (test, after the '
                  'final, not pre-registered)', '',
                  *cost_check_table(results['cost_check']), '']
    for key, heading, plot, title in NEW_SEED_SECTIONS:
        if key not in results:
            continue
        section = results[key]
        kind = ('pre-registered' if section['preregistered'] else
                'fewer seeds than registered: not the registered comparison')
        parts += [f'## {heading} (test, {kind})', '',
                  *replication_table(section), '']
        plot_replication(section, folder / plot, title)
    if 'pilot' in results:
        pilot = results['pilot']
        parts += ['## Pilot (validation)', '', *pilot_table(pilot), '',
                  f'Chosen: `{pilot["chosen"]}`', '']
        plot_pilot(pilot, folder / 'accuracy_pilot.png')
    if 'study' in results:
        study = results['study']
        parts += ['## PWKD recipe study (validation)', '',
                  *study_table(study), '',
                  f'Best LR shape: `{study["best_lr"]}`; best recipe: '
                  f'`{study["best_recipe"]["name"]}`; DKD warm-up chosen: '
                  f'{study["dkd_warmup"]}', '']
    if 'final' in results:
        parts += ['## Final table (test)', '', *final_table(results), '']
        plot_final(results, folder / 'accuracy.png')
    path = folder / 'accuracy_tables.md'
    path.write_text('\n'.join(parts))
    return path
