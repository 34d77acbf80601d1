"""Tables and plots of the accuracy benchmark, from its JSON results."""
from pathlib import Path
from typing import Dict, List, Sequence

from accuracy_runs import CONFIGS, SCORING_LABELS

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


def stage_boundaries(arm: dict, epochs: int) -> List[float]:
    """Epochs where the arm's PWKD stages start (none for other arms)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(CONFIGS / arm['config']))
    hooks = [h for h in cfg.get('custom_hooks') or []
             if h['type'] == 'PWKDStageHook' and not h.get('gradual')]
    if not hooks:
        return []
    lengths = [next(v for k, v in s.items() if k != 'width')
               for s in hooks[0]['stages']]
    done, starts = 0.0, []
    for length in lengths[:-1]:
        done += length
        starts.append(epochs * done / sum(lengths))
    return starts


def plot_final(results: dict, path: Path) -> None:
    """Mean validation accuracy per epoch of each final arm (band: one
    std), PWKD's stage starts marked."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5.5))
    epochs = results['pilot']['chosen']['epochs']
    for arm in results['final']['arms'].values():
        runs = list(arm['runs'].values())
        x = [e for e, _ in runs[0]['curve']]
        per_epoch = list(zip(*[[a for _, a in r['curve']] for r in runs]))
        mean = [sum(v) / len(v) for v in per_epoch]
        line, = ax.plot(x, mean, marker='o', markersize=3,
                        label=f'{arm["label"]} (test {arm["test_mean"]:.2f})')
        std = [(sum((a - m)**2 for a in v) / max(1, len(v) - 1))**0.5
               for v, m in zip(per_epoch, mean)]
        ax.fill_between(x, [m - s for m, s in zip(mean, std)],
                        [m + s for m, s in zip(mean, std)],
                        color=line.get_color(), alpha=0.12)
        for start in stage_boundaries(arm, epochs):
            ax.axvline(start, color=line.get_color(), ls=':', alpha=0.6)
    low = min(a['val_mean'] for a in results['final']['arms'].values()) - 12
    ax.set_ylim(bottom=low)
    ax.set_xlabel('epoch (dotted: PWKD stage starts)')
    ax.set_ylabel('validation top-1 (%), mean +- std over seeds')
    ax.set_title('resnet20 -> resnet8 on Fashion-MNIST, '
                 f'{results["final"]["cell"]}')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc='upper left')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _paired(a: Sequence[float], b: Sequence[float]) -> List[float]:
    return [x - y for x, y in zip(a, b)]


def _forest(ax, rows: List[dict], xlabel: str) -> None:
    """One row per paired difference, top to bottom: its seeds' values
    (dots), its mean (diamond) and its 95% interval (bar) where it has
    one; the lines at 0 and at the worthwhile +0.5 points."""
    for y, row in enumerate(reversed(rows)):
        ax.scatter(row['seeds'], [y] * len(row['seeds']), s=10,
                   color=row['color'], alpha=0.45)
        if row.get('ci95'):
            ax.plot(row['ci95'], [y, y], color=row['color'], lw=2.5)
        ax.scatter([row['diff']], [y], marker='D', s=36, color=row['color'],
                   zorder=3)
    ax.axvline(0, color='black', lw=0.8)
    ax.axvline(0.5, color='tab:gray', ls='--', lw=0.8)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r['label'] for r in reversed(rows)], fontsize=7)
    ax.set_xlabel(xlabel)
    ax.grid(alpha=0.3, axis='x')


GAP_COLORS = {'kd - student': 'tab:blue', 'kd_w05 - kd': 'tab:green',
              'kd_w025 - kd': 'tab:olive', 'pwkd - kd': 'tab:red'}


def plot_gap(gap: dict, path: Path) -> None:
    """Per cell, what KD adds to the student alone, and what a partial
    teacher and PWKD + KD add to KD (validation, paired by seed)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    rows = []
    for name, cell in gap['cells'].items():
        arms = cell['arms']
        for key, color in GAP_COLORS.items():
            a, b = key.split(' - ')
            rows.append(dict(
                label=f'{name}{"" if cell["qualified"] else " (untrained)"}'
                f': {key}',
                color=color, diff=cell['differences'][key]['diff'],
                ci95=cell['differences'][key].get('ci95'),
                seeds=_paired(arms[a]['val_top1'], arms[b]['val_top1'])))
    fig, ax = plt.subplots(figsize=(9, 0.28 * len(rows) + 1.4))
    _forest(ax, rows, 'validation top-1 difference (points): seeds '
            '(dots), mean (diamond), 95% interval (bar)')
    ax.set_title('Capacity gap x schedule length: who teaches the student '
                 f'(seeds {gap["seeds"]})', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# Arm names short enough for a plot's row labels.
SHORT_ARMS = dict(student='student alone', kd='KD', pwkd='PWKD + KD',
                  kd_w05='KD, width-0.5 teacher',
                  kd_w025='KD, width-0.25 teacher', route='route KD')


def plot_verdict(results: dict, path: Path) -> None:
    """The pre-registered differences on test, in both scorings, against
    the decision rule's lines (0 and +0.5 points)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    verdict, arms = results['verdict'], results['arms']
    fields = dict(precise_bn='test_top1', as_saved='test_top1_as_saved')
    colors = dict(precise_bn='tab:red', as_saved='tab:gray')
    short = dict(SHORT_ARMS, kd_equal_cost=f'KD '
                 f'{verdict["equal_cost"]["epochs"]} ep. (equal cost)')
    rows = []
    for key, scorings in verdict['differences'].items():
        a, b = key.split(' - ')
        for scoring, d in scorings.items():
            rows.append(dict(
                label=f'{short.get(a, a)} - {short.get(b, b)} '
                f'[{SCORING_LABELS[scoring]}]: {d["preregistered"]}',
                color=colors[scoring], diff=d['diff'], ci95=d['ci95'],
                seeds=_paired(arms[a][fields[scoring]],
                              arms[b][fields[scoring]])))
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.6))
    _forest(ax, rows, 'test top-1 difference (points), paired by seed')
    ax.set_title(f'Pre-registered final, cell {verdict["cell"]}, seeds '
                 f'{verdict["seeds"][0]}-{verdict["seeds"][-1]}\ngain if '
                 'the interval is right of 0; no gain of 0.5 points if it '
                 'is left of the dashed line', fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches='tight')
    plt.close(fig)


def plot_pilot(pilot: dict, path: Path) -> None:
    """KD's gain over the student alone per pilot cell, per seed."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    cells = list(pilot['cells'].values())
    for i, cell in enumerate(cells):
        gains = [k - s for k, s in zip(cell['kd']['val_top1'],
                                       cell['student']['val_top1'])]
        ax.scatter([i] * len(gains), gains, color='tab:blue', s=14)
        ax.bar(i, cell['kd_minus_student']['diff'], color='tab:blue',
               alpha=0.3)
    ax.axhline(1.5, color='tab:red', ls='--', label='required gain 1.5')
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels([f'{c["per_class"]}/class\n{c["epochs"]} ep'
                        for c in cells])
    ax.set_ylabel('KD - student alone, val top-1 (points)')
    ax.set_title('Pilot: where does KD help? (bar: mean, dots: seeds)')
    ax.grid(alpha=0.3, axis='y')
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


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
