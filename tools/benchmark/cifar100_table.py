"""Markdown table of the last validation accuracy of CIFAR-100 runs.

``tools/benchmark/cifar100.sh`` calls it once its runs are done. Each
``--run`` names a row and the work dirs of its seeds::

    python tools/benchmark/cifar100_table.py OUT.md \\
        --run 'teacher resnet56' work_dirs/cifar100/resnet56_1xb64_cifar100 \\
        --run KD work_dirs/cifar100/kd_..._1xb64_cifar100/seed0 \\
                 work_dirs/cifar100/kd_..._1xb64_cifar100/seed1

In each work dir it reads the newest ``*/vis_data/scalars.json`` that holds
a validation record (a resumed run starts a new one) and takes the last
record's ``accuracy/top1``, and for a slimmable teacher its
``accuracy/top1_w{width}``. It writes the table (mean +- sample std over the
seeds, and every seed's value) to OUT.md and the raw numbers to OUT.json.
"""
import argparse
import json
import platform
import statistics
from pathlib import Path
from typing import Dict, List

import torch

TOP1 = 'accuracy/top1'
Results = Dict[str, Dict[str, List[float]]]


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', type=Path, help='the markdown file to write')
    parser.add_argument(
        '--run',
        nargs='+',
        action='append',
        required=True,
        metavar=('LABEL', 'WORK_DIR'),
        help='a row: its label, then the work dir of each seed')
    parser.add_argument(
        '--title', default='CIFAR-100 results', help='the table heading')
    parser.add_argument(
        '--command', default='', help='the command that made the runs')
    args = parser.parse_args()
    for run in args.run:
        if len(run) < 2:
            parser.error(f'--run {run[0]!r} needs at least one work dir')
    return args


def last_validation(work_dir: Path) -> Dict[str, float]:
    """Top-1 metrics of the last validation logged in ``work_dir``.

    Args:
        work_dir (Path): A run's work dir (mmengine's ``work_dir``).

    Returns:
        dict[str, float]: ``accuracy/top1`` and any ``accuracy/top1_w*``.
    """
    for log in sorted(work_dir.glob('*/vis_data/scalars.json'),
                      reverse=True):
        records = [
            json.loads(line) for line in log.read_text().splitlines()
            if line.strip()
        ]
        validations = [record for record in records if TOP1 in record]
        if validations:
            return {
                key: float(value)
                for key, value in validations[-1].items()
                if key == TOP1 or key.startswith(TOP1 + '_w')
            }
    raise FileNotFoundError(
        f'{work_dir}: no */vis_data/scalars.json with a validation record '
        f'({TOP1}); did the run finish?')


def collect(runs: List[List[str]]) -> Results:
    """Label to metric to the value of every seed, in the order given."""
    results: Results = {}
    for label, *work_dirs in runs:
        metrics: Dict[str, List[float]] = {}
        for work_dir in work_dirs:
            for key, value in last_validation(Path(work_dir)).items():
                metrics.setdefault(key, []).append(value)
        results[label] = metrics
    return results


def _summary(values: List[float]) -> str:
    if len(values) == 1:
        return f'{values[0]:.2f}'
    return f'{statistics.mean(values):.2f} +- {statistics.stdev(values):.2f}'


def table(results: Results) -> List[str]:
    """Markdown rows: one per label, one per width of a slimmable run."""
    lines = [
        '| run | seeds | top-1 (%) | per seed |',
        '| :-- | :-: | :-: | :-- |',
    ]
    for label, metrics in results.items():
        for key, values in metrics.items():
            name = label if key == TOP1 else (
                f'{label}, width {key[len(TOP1) + 2:]}')
            seeds = ', '.join(f'{value:.2f}' for value in values)
            lines.append(f'| {name} | {len(values)} | {_summary(values)} | '
                         f'{seeds} |')
    return lines


def machine() -> str:
    """Where the table was made: the runs' machine in the benchmark."""
    device = torch.cuda.get_device_name() if torch.cuda.is_available() \
        else 'no GPU'
    return f'{platform.node()}, {device}, torch {torch.__version__}'


def main() -> None:
    args = parse_args()
    results = collect(args.run)
    lines = [f'# {args.title}', '']
    if args.command:
        lines += [f'Command: `{args.command}`', '']
    lines += [f'Machine: {machine()}', '']
    lines += table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text('\n'.join(lines) + '\n')
    args.out.with_suffix('.json').write_text(
        json.dumps(results, indent=2) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
