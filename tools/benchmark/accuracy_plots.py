"""Plots of the accuracy benchmark, from its JSON results: learning
curves, forest plots of paired differences, the pilot's gains."""
from pathlib import Path
from typing import List, Sequence

from accuracy_runs import CONFIGS, SCORING_LABELS


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


def plot_replication(section: dict, path: Path, title: str) -> None:
    """A comparison's differences on its new seeds (and, where earlier
    seeds are pooled with them, on all seeds), in both scorings, against
    the margin of half a point either way."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    arms = section['arms']
    fields = dict(precise_bn='test_top1', as_saved='test_top1_as_saved')
    colors = dict(precise_bn='tab:red', as_saved='tab:gray')
    short = dict(SHORT_ARMS, **{f'kd_e{section["cheap_epochs"]}':
                                f'KD {section["cheap_epochs"]} ep.'})
    seeds = section['seeds']
    groups = [('new seeds', section['differences'])]
    if 'pooled' in section:
        groups.append(('all seeds', section['pooled']['differences']))
    rows = []
    for which, differences in groups:
        for key, scorings in differences.items():
            a, b = key.split(' - ')
            for scoring, d in scorings.items():
                verdict = d['replication'] if which == 'new seeds' else \
                    'not judged'
                rows.append(dict(
                    label=f'{short[a]} - {short[b]}, {which} '
                    f'[{SCORING_LABELS[scoring]}]: {verdict}',
                    color=colors[scoring], diff=d['diff'], ci95=d['ci95'],
                    seeds=_paired(arms[a][fields[scoring]],
                                  arms[b][fields[scoring]])
                    if which == 'new seeds' else []))
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(rows) + 1.6))
    _forest(ax, rows, 'test top-1 difference (points), paired by seed')
    ax.axvline(-0.5, color='tab:gray', ls='--', lw=0.8)
    ax.set_title(f'{title}, cell {section["cell"]}, seeds {seeds[0]}-'
                 f'{seeds[-1]} (dots: their differences)\nwithin 0.5 points '
                 'if the interval lies between the dashed lines', fontsize=9)
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
