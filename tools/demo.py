"""The built-in real-data demo: does distillation help a small student?

It runs the accuracy benchmark's regime (``docs/benchmarks/accuracy.md``)
on Fashion-MNIST: a resnet8 student that sees a small class-balanced
subset, trained alone, with KD and with PWKD + KD from a slimmable
resnet20 teacher trained on 50k other images. Every run is an ordinary
``tools/train.py`` run of a config in ``configs/benchmark/fmnist/`` (the
commands are in each run's ``train.log`` folder). The teacher is the one
shipped in ``checkpoints/`` (made by the benchmark's own command); with
``--train-teacher`` it is trained here first.

It prints one line per validated epoch, then a table of test accuracy
beside the benchmark's numbers for the same arms, and plots the curves.
"""
import argparse
import json
import sys
import time
from pathlib import Path
from typing import Dict, List

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / 'tools' / 'benchmark'))

from accuracy_phases import (KD, STUDENT, teacher_checkpoints,  # noqa: E402
                             teachers)
from accuracy_runs import (LOADERS, Run, config_cell, run_all,  # noqa: E402
                           test_top1, val_history)

from mmpwkd.datasets.fashion_mnist_idx import (  # noqa: E402
    DEFAULT_DATA_ROOT, FashionMNISTIDX)

PWKD = 'pwkd-kd_resnet20_resnet8_1xb128_fmnist-student.py'
SHIPPED_TEACHER = (REPO / 'checkpoints' /
                   'slimmable-resnet20_1xb128_fmnist-teacher.pth')
BENCHMARK = REPO / 'docs' / 'benchmarks' / 'accuracy.json'
# Demo arm -> (config, label, the benchmark's arm with the same recipe).
ARMS = dict(
    student=(STUDENT, 'student alone', 'student'),
    kd=(KD, 'KD', 'kd'),
    pwkd=(PWKD, 'PWKD + KD', 'pwkd_best'),
)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='where runs, table and plot go')
    parser.add_argument('--data-root', default=DEFAULT_DATA_ROOT,
                        help='folder with the four Fashion-MNIST .gz files')
    parser.add_argument('--seeds', type=int, default=1,
                        help='seeds per arm (the benchmark uses 5)')
    parser.add_argument('--jobs', type=int, default=2,
                        help='runs at a time, one thread each')
    parser.add_argument('--teacher', default=str(SHIPPED_TEACHER),
                        help='slimmable teacher checkpoint')
    parser.add_argument('--train-teacher', action='store_true',
                        help='train the teacher and its slimmable version '
                        'here (cached in the work dir) instead')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='passed to every run (e.g. for a smoke test)')
    return parser.parse_args()


def benchmark() -> dict:
    """The benchmark's results, if they are there."""
    return json.loads(BENCHMARK.read_text()) if BENCHMARK.exists() else {}


def benchmark_arms() -> Dict[str, dict]:
    """The benchmark's final arms."""
    return benchmark().get('arms', {})


def verdicts() -> List[str]:
    """The benchmark's verdicts on the differences the demo shows."""
    differences = benchmark().get('final', {}).get('differences', {})
    lines = []
    for key, label in (('kd - student', 'KD - student alone'),
                       ('pwkd_best - kd', 'PWKD + KD - KD')):
        if key in differences:
            d = differences[key]
            lines.append(f'  {label}: {d["diff"]:+.2f} points (twice the '
                         f'pooled std {d["two_pooled_std"]:.2f}, paired t '
                         f'{d["t"]:+.2f}): {d["verdict"]}')
    return lines


def table(results: Dict[str, List[float]], seeds: int) -> str:
    """Test accuracy of each demo arm beside the benchmark's."""
    bench = benchmark_arms()
    lines = [f'| arm | this demo, test top-1 (%), {seeds} seed(s) | '
             'benchmark, test top-1 (%), mean +- std over its seeds |',
             '|---|---|---|']
    for name, (_, label, bench_name) in ARMS.items():
        mine = ', '.join(f'{v:.2f}' for v in results[name])
        arm = bench.get(bench_name)
        theirs = (f'{arm["test_mean"]:.2f} +- {arm["test_std"]:.2f} '
                  f'(n={len(arm["test_top1"])})'
                  if arm and 'test_top1' in arm else 'not run yet')
        lines.append(f'| {label} | {mine} | {theirs} |')
    return '\n'.join(lines)


def plot(path: Path, curves: Dict[str, List[List[List[float]]]]) -> None:
    """Validation accuracy per epoch of every demo run."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    for (name, runs), color in zip(curves.items(),
                                   ('tab:grey', 'tab:blue', 'tab:orange')):
        for k, curve in enumerate(runs):
            ax.plot([e for e, _ in curve], [a for _, a in curve],
                    color=color, marker='o', markersize=3,
                    label=ARMS[name][1] if k == 0 else None)
    ax.set_xlabel('epoch')
    ax.set_ylabel('validation top-1 (%)')
    ax.set_title('resnet20 -> resnet8 on Fashion-MNIST (small subset)')
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    args = parse_args()
    start = time.time()
    # Fail now, with the install hint, rather than inside the first run.
    FashionMNISTIDX(data_root=args.data_root, split='test')
    root = Path(args.work_dir).resolve()
    data = tuple(f'{loader}.dataset.data_root={args.data_root}'
                 for loader in LOADERS) + tuple(args.cfg_options)
    teacher = Path(args.teacher)
    if args.train_teacher:
        checkpoints = teacher_checkpoints(root, data)
        print(json.dumps(teachers(root, data, checkpoints)['slimmable']
                         ['test'], indent=1), flush=True)
        teacher = checkpoints['slimmable']
    distill = (f'model.teacher_ckpt={teacher}', )
    runs = {
        name: [Run(config, config_cell(config), seed,
                   extra=data if config == STUDENT else (*data, *distill))
               for seed in range(args.seeds)]
        for name, (config, _, _) in ARMS.items()
    }
    names = {run: f'{name} seed {run.seed}'
             for name, arm in runs.items() for run in arm}
    run_all([r for arm in runs.values() for r in arm], root, args.jobs,
            label=names.get, epochs=True)
    results = {name: [test_top1(run, root) for run in arm]
               for name, arm in runs.items()}
    text = table(results, args.seeds)
    plot(root / 'demo.png', {
        name: [[[r['step'], r['accuracy/top1']]
                for r in val_history(run.folder(root))] for run in arm]
        for name, arm in runs.items()
    })
    (root / 'results.md').write_text(text + '\n')
    (root / 'results.json').write_text(json.dumps(results, indent=1))
    print(f'\n{text}\n')
    print('How to read it: one seed moves a resnet8 on 1k images by about '
          'a point, so a single run can rank two close arms either way. The '
          'benchmark (docs/benchmarks/accuracy.md) calls a difference real '
          'only beyond twice the pooled std over its seeds; it found:')
    print('\n'.join(verdicts()) or '  (no benchmark results yet)')
    print(f'Plot: {root / "demo.png"}; table: {root / "results.md"}; '
          f'{time.time() - start:.0f} s in all.')


if __name__ == '__main__':
    main()
