"""Forward time of each width of a slimmable classifier.

For every width ``w`` of a slimmable network (Yu et al., "Slimmable Neural
Networks", ICLR 2019), as the PWKD teacher runs it (Zhang, Zhang, Sun,
arXiv 2109.12507: eval mode, no gradients, one width per stage), this
measures the forward time

- relative to width 1.0 of the same slimmable model (expected about
  ``w ** 2``, the FLOP ratio), and
- relative to an ordinary network of the same narrow shape, the plain
  classifier that :func:`export_width` makes (the cost of slicing shared
  weights at run time, expected small), and
- for the copy a PWKD teacher runs in a stage (:func:`fixed_width_copy`:
  stock layers whose weights view the slimmable ones), against both.

Every arm (slimmable and plain, at every width) is timed by the shared
harness of ``timing.py``: once per round, in one process, the starting arm
rotating every round, so load drifts hit all arms alike. Ratios are taken
within a round; the report gives their median, quartiles and min-max over
the rounds after the warm-up rounds. Absolute times are reported too, but
mean little on a shared CPU.

Cases: ``resnet34`` (mmpretrain's ResNet34, 224x224, batch 8) and
``resnet56`` (mmpwkd's CIFARResNet, 32x32, batch 64).

Example::

    python tools/benchmark/slimmable_forward.py \\
        --out docs/benchmarks/slimmable_forward.json \\
        --plot docs/benchmarks/slimmable_forward.png
"""
import argparse
import copy
import json
import logging
import os
import platform
import shlex
import sys
from functools import partial
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.logging import MMLogger
from timing import Step, cpu_name, load_average, run_rounds, spread
from torch import Tensor, nn

from mmpwkd.models.slimmable import export_width
from mmpwkd.models.slimmable.fixed_width import fixed_width_copy
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

WIDTHS = (0.25, 0.5, 0.75, 1.0)


def _classifier(backbone: dict, num_classes: int, in_channels: int) -> dict:
    return dict(
        type='SlimmableClassifier',
        widths=WIDTHS,
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=num_classes,
            in_channels=in_channels))


CASES: Dict[str, dict] = {
    'resnet34': dict(
        model=_classifier(dict(type='ResNet', depth=34), 1000, 512),
        image_size=224,
        batch_size=8),
    'resnet56': dict(
        model=_classifier(dict(type='CIFARResNet', arch='resnet56'), 100, 64),
        image_size=32,
        batch_size=64),
}


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Forward time per width of slimmable classifiers')
    parser.add_argument(
        '--cases', nargs='+', choices=list(CASES), default=list(CASES))
    parser.add_argument(
        '--iters', type=int, default=60, help='timed rounds per case')
    parser.add_argument(
        '--warmup', type=int, default=5, help='untimed rounds per case')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument(
        '--image-size', type=int, help='override every case\'s input size')
    parser.add_argument(
        '--batch-size', type=int, help='override every case\'s batch size')
    parser.add_argument('--out', help='write the results to this JSON file')
    parser.add_argument('--plot', help='write a PNG plot to this file')
    args = parser.parse_args(argv)
    if args.iters < 1 or args.warmup < 0 or args.threads < 1:
        parser.error('--iters and --threads must be >= 1, --warmup >= 0, '
                     f'got {args.iters}, {args.threads}, {args.warmup}')
    return args


def machine_info(args: argparse.Namespace) -> Dict[str, object]:
    """The machine line: CPU, cores, torch, device, threads, load."""
    device = args.device
    if device.startswith('cuda'):
        device = f'{device} ({torch.cuda.get_device_name(device)})'
    return dict(
        cpu=cpu_name(),
        cores=os.cpu_count(),
        threads=args.threads,
        torch=torch.__version__,
        python=platform.python_version(),
        device=device,
        load_avg_before=load_average())


def _flops(model: nn.Module, image: Tensor) -> int:
    """mmengine's FLOPs (multiply-adds) for one image, without its
    warnings about the ops it does not count."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return get_model_complexity_info(
            model, inputs=(image, ), show_table=False,
            show_arch=False)['flops']
    finally:
        logger.setLevel(level)


def build_arms(
    model_cfg: dict, inputs: Tensor
) -> Tuple[Dict[str, Step], Dict[str, Step], Dict[float, int]]:
    """The slimmable model and the plain exported network of each width.

    Args:
        model_cfg (dict): A ``SlimmableClassifier`` config.
        inputs (Tensor): The batch, on the device to time on.

    Returns:
        tuple[dict[str, Step], dict[str, Step], dict[float, int]]: Arms
        ``slimmable@w``, ``fixed@w`` and ``plain@w`` for every width (a
        no-grad forward each), the untimed setup of the slimmable ones
        (switching to their width), and the FLOPs of each width for one
        image (counted on the plain network).
    """
    model = MODELS.build(copy.deepcopy(model_cfg)).eval()
    model.requires_grad_(False)
    image = torch.zeros(1, *inputs.shape[1:])
    arms, setup, flops = {}, {}, {}
    for width in model.widths:
        plain_cfg, state = export_width(model, model_cfg, width)
        plain = MODELS.build(plain_cfg)
        plain.load_state_dict(state, strict=True)
        plain.eval()
        flops[width] = _flops(plain, image)
        plain.to(inputs.device)
        arms[f'slimmable@{width}'] = torch.no_grad()(partial(model, inputs))
        setup[f'slimmable@{width}'] = partial(model.set_width, width)
        arms[f'plain@{width}'] = torch.no_grad()(partial(plain, inputs))
    model.to(inputs.device)
    for width in model.widths:
        model.set_width(width)
        _, fixed = fixed_width_copy(
            model, torch.no_grad()(partial(model, inputs[:1])))
        arms[f'fixed@{width}'] = torch.no_grad()(partial(fixed.model, inputs))
    return arms, setup, flops


def summarize(times: Sequence[Dict[str, float]],
              flops: Dict[float, int]) -> List[Dict[str, object]]:
    """Per-width ratios, taken within each round.

    Args:
        times (Sequence[dict[str, float]]): Arm name to seconds, one dict
            per kept round.
        flops (dict[float, int]): FLOPs of each width.

    Returns:
        list[dict]: Per width: ``flops_ratio`` and ``w2`` (expectations),
        and the spreads of ``slimmable_vs_full`` (slimmable at ``w`` over
        slimmable at 1.0), ``plain_vs_full`` (plain at ``w`` over plain at
        1.0), ``slimmable_vs_plain``, ``fixed_vs_plain`` and
        ``slimmable_vs_fixed``, plus the arms' times in ms.
    """
    rows = []
    for width in sorted(flops):
        slim, plain = f'slimmable@{width}', f'plain@{width}'
        fixed = f'fixed@{width}'
        rows.append(
            dict(
                width=width,
                w2=width**2,
                flops_ratio=flops[width] / flops[1.0],
                slimmable_vs_full=spread(
                    [t[slim] / t['slimmable@1.0'] for t in times]),
                plain_vs_full=spread(
                    [t[plain] / t['plain@1.0'] for t in times]),
                slimmable_vs_plain=spread(
                    [t[slim] / t[plain] for t in times]),
                fixed_vs_plain=spread([t[fixed] / t[plain] for t in times]),
                slimmable_vs_fixed=spread(
                    [t[slim] / t[fixed] for t in times]),
                slimmable_ms=spread([t[slim] * 1e3 for t in times]),
                fixed_ms=spread([t[fixed] * 1e3 for t in times]),
                plain_ms=spread([t[plain] * 1e3 for t in times])))
    return rows


def run_case(name: str, args: argparse.Namespace,
             device: torch.device) -> Dict[str, object]:
    """Build, time and summarize one case."""
    case = CASES[name]
    size = args.image_size or case['image_size']
    batch = args.batch_size or case['batch_size']
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(batch, 3, size, size, generator=generator)
    print(f'[{name}] {batch} x 3 x {size} x {size}, building', flush=True)
    arms, setup, flops = build_arms(case['model'], inputs.to(device))
    per_arm = run_rounds(name, arms, args.iters, args.warmup, device, setup)
    times = [{arm: values[i] for arm, values in per_arm.items()}
             for i in range(args.iters)]
    rows = summarize(times, flops)
    for row in rows:
        print(f"[{name}] width {row['width']}: slimmable "
              f"{row['slimmable_ms']['median']:.1f} ms, fixed copy "
              f"{row['fixed_ms']['median']:.1f} ms, plain "
              f"{row['plain_ms']['median']:.1f} ms, slimmable/fixed "
              f"{row['slimmable_vs_fixed']['median']:.3f}", flush=True)
    return dict(
        backbone=case['model']['backbone'],
        batch_size=batch,
        image_size=size,
        rounds=args.iters,
        warmup=args.warmup,
        flops=flops,
        widths=rows,
        times_ms=[{k: v * 1e3 for k, v in t.items()} for t in times])


def _cell(value: Dict[str, float]) -> str:
    return (f"{value['median']:.3f} ({value['min']:.3f}-"
            f"{value['max']:.3f})")


def to_markdown(results: Dict[str, Dict[str, object]]) -> str:
    """A table per case: ratios as median (min-max)."""
    lines = []
    for name, result in results.items():
        lines += [
            f"**{name}**, batch {result['batch_size']}, "
            f"{result['image_size']}x{result['image_size']}, "
            f"{result['rounds']} rounds\n",
            '| Width | w^2 | FLOPs / w1.0 | Slimmable time / w1.0 '
            '| Plain time / w1.0 | Slimmable / plain | Fixed copy / plain '
            '| Slimmable / fixed copy | Slimmable ms | Fixed copy ms '
            '| Plain ms |', '| :-: | --: | --: | --: | --: | --: | --: '
            '| --: | --: | --: | --: |'
        ]
        for row in result['widths']:
            lines.append(
                f"| {row['width']} | {row['w2']:.3f} "
                f"| {row['flops_ratio']:.3f} "
                f"| {_cell(row['slimmable_vs_full'])} "
                f"| {_cell(row['plain_vs_full'])} "
                f"| {_cell(row['slimmable_vs_plain'])} "
                f"| {_cell(row['fixed_vs_plain'])} "
                f"| {_cell(row['slimmable_vs_fixed'])} "
                f"| {row['slimmable_ms']['median']:.1f} "
                f"| {row['fixed_ms']['median']:.1f} "
                f"| {row['plain_ms']['median']:.1f} |")
        lines.append('')
    return '\n'.join(lines)


def plot(results: Dict[str, Dict[str, object]], path: str) -> None:
    """Relative time per width (top) and slimmable over plain (bottom),
    one column per case, log scale; thick bars span the quartiles, thin
    ones min-max over the rounds."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig, axes = plt.subplots(
        2, len(results), figsize=(5 * len(results), 7), squeeze=False)
    for column, (name, result) in enumerate(results.items()):
        rows = result['widths']
        widths = [row['width'] for row in rows]
        top, bottom = axes[0][column], axes[1][column]
        top.plot(widths, [row['w2'] for row in rows], ':', color='grey',
                 label='w^2')
        top.plot(widths, [row['flops_ratio'] for row in rows], 'k--',
                 label='FLOPs ratio')
        for key, label, shift in (('slimmable_vs_full', 'slimmable', -0.01),
                                  ('plain_vs_full', 'plain', 0.01)):
            _errorbar(top, [w + shift for w in widths],
                      [row[key] for row in rows], label)
        top.set_title(f"{name}, batch {result['batch_size']}, "
                      f"{result['image_size']}px")
        top.set_ylabel('time / time at width 1.0')
        for key, label in (('slimmable_vs_plain', 'slimmable / plain'),
                           ('fixed_vs_plain', 'fixed copy / plain')):
            _errorbar(bottom, widths, [row[key] for row in rows], label)
        bottom.axhline(1.0, color='k', linewidth=0.8)
        bottom.set_xlabel('width')
        bottom.set_ylabel('time / plain network time')
        for axis in (top, bottom):
            axis.set_yscale('log')
            axis.yaxis.set_major_locator(LogLocator(subs=(1, 1.5, 2, 3, 5, 7)))
            axis.yaxis.set_major_formatter(
                FuncFormatter(lambda value, _: f'{value:g}'))
            axis.yaxis.set_minor_formatter(NullFormatter())
            axis.set_xticks(widths)
            axis.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _errorbar(axis, widths: Sequence[float],
              values: Sequence[Dict[str, float]], label: str) -> None:
    medians = [value['median'] for value in values]

    def bar(low: str, high: str) -> List[List[float]]:
        return [[m - value[low] for m, value in zip(medians, values)],
                [value[high] - m for m, value in zip(medians, values)]]

    line = axis.errorbar(
        widths, medians, yerr=bar('min', 'max'), marker='o', capsize=3,
        elinewidth=1, label=label)
    axis.errorbar(
        widths, medians, yerr=bar('q1', 'q3'), fmt='none', elinewidth=4,
        color=line[0].get_color())


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, object]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    register_all_modules()
    report = dict(
        command=shlex.join([
            'python', 'tools/benchmark/slimmable_forward.py',
            *(sys.argv[1:] if argv is None else argv)
        ]),
        machine=machine_info(args))
    results = {name: run_case(name, args, device) for name in args.cases}
    report['machine']['load_avg_after'] = load_average()
    report['results'] = results
    print(to_markdown(results))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=2))
    if args.plot:
        Path(args.plot).parent.mkdir(parents=True, exist_ok=True)
        plot(results, args.plot)
    return report


if __name__ == '__main__':
    main()
