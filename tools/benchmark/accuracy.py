"""Does PWKD beat plain KD? Student accuracy over many seeds (issue 6).

Fashion-MNIST, a resnet20 teacher (30k images, 4 epochs), rebuilt as a
slimmable teacher; a resnet8 student on a 5k-image subset for 8 epochs in
every arm: alone, KD, PWKD + KD, DKD, PWKD + DKD. ``--ablations`` adds, with
fewer seeds: 2 stages instead of 4, no LR restart, the stage order
reversed, the whole teacher with restarts, and a slimmable teacher trained
with in-place distillation. Every run is an ordinary ``tools/train.py``
run of a config in ``configs/benchmark/fmnist/``; finished runs are reused,
so a killed benchmark continues where it stopped.

Example:
    python tools/benchmark/accuracy.py --seeds 5 --ablations \\
        --out docs/benchmarks/accuracy.json \\
        --table docs/benchmarks/accuracy_tables.md \\
        --plot docs/benchmarks/accuracy.png
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs' / 'benchmark' / 'fmnist'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
DEFAULT_DATA_ROOT = '/usr/share/datasets/fashion-mnist'

# Arm name -> (config, label). The teacher checkpoint is that of the
# slimmable teacher unless the arm names another.
ARMS = {
    'student': ('student_resnet8.py', 'student alone'),
    'kd': ('kd_resnet20_resnet8.py', 'KD'),
    'pwkd_kd': ('pwkd_kd_resnet20_resnet8.py', 'PWKD + KD'),
    'dkd': ('dkd_resnet20_resnet8.py', 'DKD'),
    'pwkd_dkd': ('pwkd_dkd_resnet20_resnet8.py', 'PWKD + DKD'),
}
ABLATIONS = {
    'pwkd_kd_2stages': ('ablation_pwkd_kd_2stages.py',
                        'PWKD + KD, 2 stages (0.5, 1.0)'),
    'pwkd_kd_no_restart': ('ablation_pwkd_kd_no_restart.py',
                           'PWKD + KD, one LR cycle (no restart)'),
    'whole_to_partial': ('ablation_whole_to_partial.py',
                         'whole-to-partial (1.0 -> 0.25)'),
    'whole_restarts': ('ablation_whole_restarts.py',
                       'whole teacher, 4 stages with LR restarts'),
    'pwkd_kd_inplace_teacher': ('pwkd_kd_resnet20_resnet8.py',
                                'PWKD + KD, in-place-distilled teacher'),
}


class Run(NamedTuple):
    arm: str
    seed: int
    config: str
    work_dir: Path
    options: Tuple[str, ...]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--work-dir', default='work_dirs/accuracy')
    parser.add_argument('--data-root', default=DEFAULT_DATA_ROOT)
    parser.add_argument('--seeds', type=int, default=5,
                        help='seeds per main arm')
    parser.add_argument('--ablations', action='store_true',
                        help='also run the ablations')
    parser.add_argument('--ablation-seeds', type=int, default=3)
    parser.add_argument('--jobs', type=int, default=2,
                        help='runs at a time, one thread each')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='passed to every run (e.g. for a smoke test)')
    parser.add_argument('--out', required=True, help='raw results (JSON)')
    parser.add_argument('--table', help='markdown tables')
    parser.add_argument('--plot', help='PNG of the accuracy curves')
    return parser.parse_args(argv)


def last_checkpoint(work_dir: Path) -> Optional[Path]:
    """The checkpoint named by mmengine's ``last_checkpoint`` file."""
    pointer = work_dir / 'last_checkpoint'
    if not pointer.exists():
        return None
    path = Path(pointer.read_text().strip())
    return path if path.exists() else None


def train_command(config: str, work_dir: Path,
                  options: Sequence[str]) -> List[str]:
    return [
        sys.executable, str(REPO / 'tools' / 'train.py'),
        str(CONFIGS / config), '--work-dir',
        str(work_dir), '--cfg-options', *options
    ]


def train(config: str, work_dir: Path, options: Sequence[str],
          threads: Optional[int] = None) -> float:
    """Run tools/train.py to the end, its log in ``work_dir/train.log``;
    returns the wall time in seconds."""
    work_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if threads is not None:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    start = time.time()
    with open(work_dir / 'train.log', 'w') as log:
        proc = subprocess.run(
            train_command(config, work_dir, options),
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f'{config} failed (exit {proc.returncode}); see '
                           f'{work_dir / "train.log"}')
    return time.time() - start


def val_history(work_dir: Path) -> List[Dict[str, float]]:
    """Validation records of the newest run in ``work_dir``."""
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    if not logs:
        return []
    records = [json.loads(line) for line in logs[-1].read_text().split('\n')
               if line.strip()]
    return [r for r in records if 'accuracy/top1' in r]


def prepare_teacher(config: str, work_dir: Path, options: List[str],
                    what: str) -> Path:
    """Train ``config`` once; a finished run in ``work_dir`` is reused."""
    checkpoint = last_checkpoint(work_dir)
    if checkpoint is not None and (work_dir / 'done').exists():
        print(f'==> reusing the {what}: {checkpoint}', flush=True)
        return checkpoint
    print(f'==> training the {what}:\n    '
          f'{" ".join(train_command(config, work_dir, options))}',
          flush=True)
    seconds = train(config, work_dir, options)
    (work_dir / 'done').write_text(f'{seconds:.1f}\n')
    print(f'    done in {seconds:.0f} s: {val_history(work_dir)[-1]}',
          flush=True)
    return last_checkpoint(work_dir)


def plan_runs(args: argparse.Namespace, root: Path, data: List[str],
              teachers: Dict[str, Path]) -> List[Run]:
    """Every student run: main arms over ``--seeds`` seeds, ablations over
    ``--ablation-seeds``."""
    arms = [(name, *ARMS[name], args.seeds) for name in ARMS]
    if args.ablations:
        arms += [(name, *ABLATIONS[name], args.ablation_seeds)
                 for name in ABLATIONS]
    runs = []
    for arm, config, _, seeds in arms:
        teacher = teachers['inplace' if arm.endswith('inplace_teacher')
                           else 'slimmable']
        for seed in range(seeds):
            options = [*data, f'randomness.seed={seed}', *args.cfg_options]
            if arm != 'student':
                options.append(f'model.teacher_ckpt={teacher}')
            runs.append(
                Run(arm, seed, config, root / 'runs' / arm / f'seed{seed}',
                    tuple(options)))
    return runs


def run_all(runs: List[Run], jobs: int) -> Dict[Run, float]:
    """Train every run not finished before, ``jobs`` at a time; returns
    each run's wall time (read back for reused runs)."""
    seconds: Dict[Run, float] = {}
    todo = []
    for run in runs:
        done = run.work_dir / 'done'
        if done.exists():
            seconds[run] = float(done.read_text())
        else:
            todo.append(run)
    print(f'==> {len(runs)} student runs, {len(runs) - len(todo)} reused, '
          f'{len(todo)} to train ({jobs} at a time)', flush=True)
    start = time.time()

    def one(run: Run) -> float:
        taken = train(run.config, run.work_dir, run.options, threads=1)
        done = run.work_dir / 'done'
        done.write_text(f'{taken:.1f}\n')
        # As a reused run reads it back, so both report the same.
        return float(done.read_text())

    with ThreadPoolExecutor(jobs) as pool:
        futures = {pool.submit(one, run): run for run in todo}
        for count, future in enumerate(as_completed(futures), 1):
            run = futures[future]
            seconds[run] = future.result()
            elapsed = time.time() - start
            eta = elapsed / count * (len(todo) - count)
            top1 = val_history(run.work_dir)[-1]['accuracy/top1']
            print(f'[{count}/{len(todo)}] {run.arm} seed {run.seed}: '
                  f'{top1:.2f}% in {seconds[run]:.0f} s; '
                  f'elapsed {elapsed / 60:.1f} min, ETA {eta / 60:.1f} min',
                  flush=True)
    return seconds


def summarise(runs: List[Run], seconds: Dict[Run, float]) -> dict:
    """Per arm: final accuracies per seed, mean, std and curves."""
    arms: Dict[str, dict] = {}
    for run in runs:
        history = val_history(run.work_dir)
        label = {**ARMS, **ABLATIONS}[run.arm][1]
        arm = arms.setdefault(
            run.arm, dict(label=label, config=run.config, seeds={}))
        arm['seeds'][run.seed] = dict(
            final_top1=history[-1]['accuracy/top1'],
            curve=[[r['step'], r['accuracy/top1']] for r in history],
            seconds=seconds[run])
    for arm in arms.values():
        finals = [s['final_top1'] for s in arm['seeds'].values()]
        arm['mean'] = statistics.mean(finals)
        arm['std'] = statistics.stdev(finals) if len(finals) > 1 else 0.0
    return arms


def tables(results: dict) -> str:
    """Markdown: the main arms, then the ablations beside the arms they
    vary, each with mean +- std and per-seed final accuracy."""
    arms = results['arms']

    def rows(names: List[str]) -> List[str]:
        lines = ['| arm | top-1 (%) mean +- std | n | per seed |',
                 '|---|---|---|---|']
        for name in names:
            if name not in arms:
                continue
            arm = arms[name]
            seeds = ', '.join(f'{s["final_top1"]:.2f}'
                              for _, s in sorted(arm['seeds'].items()))
            lines.append(f'| {arm["label"]} | {arm["mean"]:.2f} +- '
                         f'{arm["std"]:.2f} | {len(arm["seeds"])} | '
                         f'{seeds} |')
        return lines

    teacher = results['teachers']
    parts = ['Teachers (test top-1, %): plain resnet20 '
             f'{teacher["teacher"]["accuracy/top1"]:.2f}; slimmable '
             + ', '.join(f'w{k.split("_w")[1]} {v:.2f}'
                         for k, v in teacher['slimmable'].items()
                         if k.startswith('accuracy/top1_w')), '',
             '### Main arms', '', *rows(list(ARMS))]
    if any(name in arms for name in ABLATIONS):
        parts += ['', '### Ablations', '',
                  *rows(['kd', 'pwkd_kd', *ABLATIONS])]
        inplace = teacher.get('inplace')
        if inplace:
            parts += ['', 'In-place-distilled slimmable teacher: ' + ', '.join(
                f'w{k.split("_w")[1]} {v:.2f}' for k, v in inplace.items()
                if k.startswith('accuracy/top1_w'))]
    return '\n'.join(parts) + '\n'


def plot(results: dict, path: str) -> None:
    """Mean test accuracy per epoch of every arm, with a band of one
    standard deviation, and each seed's final accuracy."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    groups = [('main arms', list(ARMS)),
              ('ablations', ['kd', 'pwkd_kd', *ABLATIONS])]
    groups = [(t, [n for n in names if n in results['arms']])
              for t, names in groups]
    groups = [g for g in groups if g[1] and (g[0] == 'main arms' or any(
        n in ABLATIONS for n in g[1]))]
    fig, axes = plt.subplots(
        1, len(groups), figsize=(7 * len(groups), 5), squeeze=False)
    for ax, (title, names) in zip(axes[0], groups):
        for name in names:
            arm = results['arms'][name]
            curves = [s['curve'] for s in arm['seeds'].values()]
            epochs = [e for e, _ in curves[0]]
            per_epoch = list(zip(*[[a for _, a in c] for c in curves]))
            mean = [statistics.mean(v) for v in per_epoch]
            std = [statistics.stdev(v) if len(v) > 1 else 0.0
                   for v in per_epoch]
            line, = ax.plot(epochs, mean, marker='o', markersize=3,
                            label=f'{arm["label"]} ({arm["mean"]:.2f})')
            ax.fill_between(epochs, [m - s for m, s in zip(mean, std)],
                            [m + s for m, s in zip(mean, std)],
                            color=line.get_color(), alpha=0.15)
        ax.set_ylim(bottom=max(ax.get_ylim()[0],
                               min(results['arms'][n]['mean']
                                   for n in names) - 20))
        ax.set_xlabel('epoch')
        ax.set_ylabel('test top-1 (%), mean +- std over seeds')
        ax.set_title(f'resnet20 -> resnet8, Fashion-MNIST 5k: {title}')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc='lower right')
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    start = time.time()
    root = Path(args.work_dir).resolve()
    data = [f'{loader}.dataset.data_root={args.data_root}'
            for loader in LOADERS] + args.cfg_options
    teacher = prepare_teacher('teacher_resnet20.py', root / 'teacher', data,
                              'teacher')
    teachers = dict(
        slimmable=prepare_teacher('slimmable_resnet20.py',
                                  root / 'slimmable',
                                  [*data, f'load_from={teacher}'],
                                  'slimmable teacher'))
    if args.ablations:
        teachers['inplace'] = prepare_teacher(
            'slimmable_resnet20_inplace.py', root / 'slimmable_inplace',
            [*data, f'load_from={teacher}'],
            'in-place-distilled slimmable teacher')
    runs = plan_runs(args, root, data[:len(LOADERS)], teachers)
    seconds = run_all(runs, args.jobs)
    results = dict(
        command='python ' + ' '.join(sys.argv if argv is None else
                                     ['tools/benchmark/accuracy.py', *argv]),
        machine=dict(cores=os.cpu_count(), load_average=os.getloadavg()),
        wall_seconds=time.time() - start,
        teachers={
            name: val_history(root / folder)[-1]
            for name, folder in (('teacher', 'teacher'),
                                 ('slimmable', 'slimmable'),
                                 ('inplace', 'slimmable_inplace'))
            if (root / folder).exists()
        },
        arms=summarise(runs, seconds))
    Path(args.out).write_text(json.dumps(results, indent=1))
    text = tables(results)
    if args.table:
        Path(args.table).write_text(text)
    if args.plot:
        plot(results, args.plot)
    print(f'\n{text}\n{time.time() - start:.0f} s in all; raw results: '
          f'{args.out}', flush=True)
    return results


if __name__ == '__main__':
    main()
