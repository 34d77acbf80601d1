"""Training speed of PWKD against the student alone, vanilla KD and a bare
PyTorch KD loop.

Partial to Whole Knowledge Distillation (Zhang, Zhang, Sun, arXiv
2109.12507) teaches with a narrow sub-network of a slimmable teacher first,
so its early stages should cost little more than training the student plus
a narrow teacher forward, and a whole schedule less than vanilla KD. The
arms (``speed_arms.py``) are timed by the shared harness of ``timing.py``:
one training iteration of every arm per round, interleaved in one process,
the starting arm rotating; after the warm-up rounds, the median, min and
max step times of each arm, and ratios as medians of per-round ratios
(measured side by side). ``--suite options`` runs the arms of
``speed_options.py`` instead.

Example:
    python tools/benchmark/speed.py --profile \\
        --out docs/benchmarks/speed.json --plot docs/benchmarks/speed.png
"""
import argparse
import json
import os
import statistics
import sys
from typing import Dict, List

import speed_options
import torch
from speed_arms import WIDTHS, Bench, pair_cfgs
from timing import (Step, Times, arm_stats, cpu_name, load_average, paired,
                    run_rounds, synchronize)
from torch.profiler import ProfilerActivity, profile

from mmpwkd.utils import register_all_modules


def summarise(times: Times, batch: int) -> dict:
    """Per-arm statistics, ratios, teacher-forward costs and targets."""
    arms = {
        arm: dict(
            arm_stats(values, batch),
            to_student=paired(times, lambda t, a=arm: t[a] / t['student']),
            to_kd=paired(times, lambda t, a=arm: t[a] / t['kd']))
        for arm, values in times.items()
    }
    teacher = {
        str(w): dict(
            to_full=paired(
                times, lambda t, w=w: t[f'teacher_forward_w{w}'] / t[
                    'teacher_forward_w1.0']),
            flop_model=w**2) for w in WIDTHS
    }
    return dict(
        arms=arms,
        teacher_forward=teacher,
        targets=targets(times))


def targets(times: Times) -> List[dict]:
    """The speed targets, each ratio with its limit: a PWKD step costs at
    most 5% over the student plus its teacher's forward at that width;
    vanilla KD at most 3% over the bare loop and over student plus full
    teacher forward; a 4-stage schedule at most 0.80 of KD (the FLOP
    model gives 0.786 for R34 -> R18); a slimmable joint step at most 2x
    a full-width step (FLOP sum 1.875)."""
    found = [
        dict(
            name=f'pwkd_w{w} / (student + teacher_forward_w{w})',
            value=paired(
                times, lambda t, w=w: t[f'pwkd_w{w}'] /
                (t['student'] + t[f'teacher_forward_w{w}'])),
            limit=1.05) for w in WIDTHS
    ]
    found += [
        dict(
            name='kd / bare_kd',
            value=paired(times, lambda t: t['kd'] / t['bare_kd']),
            limit=1.03),
        dict(
            name='kd / (student + teacher_forward_w1.0)',
            value=paired(
                times, lambda t: t['kd'] /
                (t['student'] + t['teacher_forward_w1.0'])),
            limit=1.03),
        dict(
            name='schedule: mean_w pwkd_w / kd (4 equal stages)',
            value=paired(
                times, lambda t: statistics.mean(t[f'pwkd_w{w}']
                                                 for w in WIDTHS) / t['kd']),
            limit=0.80),
        dict(
            name='slimmable_joint / teacher_full_step',
            value=paired(
                times,
                lambda t: t['slimmable_joint'] / t['teacher_full_step']),
            limit=2.0),
    ]
    for target in found:
        target['met'] = target['value'] <= target['limit']
    return found


def profile_arms(arms: Dict[str, Step], names: List[str], steps: int,
                 top: int, device: torch.device) -> Dict[str, List[dict]]:
    """The ``top`` operators by self time on ``device`` (CPU time, or
    GPU kernel time on CUDA) over ``steps`` iterations of each named arm
    (run after warm-up)."""
    activities = [ProfilerActivity.CPU]
    time_field = 'self_cpu_time_total'
    if device.type == 'cuda':
        activities.append(ProfilerActivity.CUDA)
        time_field = 'self_device_time_total'
    found = {}
    for name in names:
        with profile(activities=activities) as prof:
            for _ in range(steps):
                arms[name]()
            synchronize(device)
        events = sorted(
            prof.key_averages(),
            key=lambda e: getattr(e, time_field),
            reverse=True)
        total = sum(getattr(e, time_field) for e in events) or 1.0
        found[name] = [
            dict(
                op=e.key,
                self_ms_per_step=getattr(e, time_field) / 1e3 / steps,
                share=getattr(e, time_field) / total,
                calls_per_step=e.count / steps) for e in events[:top]
        ]
    return found


def run_pwkd(args: argparse.Namespace, cfgs: Dict[str, dict],
             device: torch.device, results: dict) -> None:
    """The PWKD arms of every pair into ``results['pairs']``."""
    for name, cfg in cfgs.items():
        arms = Bench(cfg, args).arms()
        times = run_rounds(name, arms, args.iters, args.warmup, device)
        pair = dict(size=cfg['size'], batch=cfg['batch'],
                    **summarise(times, cfg['batch']), times_s=times)
        if args.profile:
            pair['profile'] = profile_arms(
                arms, ['student', 'kd', 'pwkd_w0.25'],
                args.profile_steps, top=8, device=device)
        results['pairs'][name] = pair


def machine(device: torch.device) -> dict:
    """The machine line: cores, threads, torch, device, load average."""
    name = (torch.cuda.get_device_name(device)
            if device.type == 'cuda' else cpu_name())
    return dict(
        cores=os.cpu_count(),
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        device=f'{device.type}: {name}',
        load_average_start=load_average())


def plot(results: dict, path: str) -> None:
    """Images/s per arm (median, min-max bars), one panel per pair."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    pairs = results['pairs']
    fig, axes = plt.subplots(1, len(pairs), figsize=(7 * len(pairs), 7))
    for ax, (name, pair) in zip(list(axes) if len(pairs) > 1 else [axes],
                                pairs.items()):
        arms = [a for a in pair['arms'] if 'teacher_forward' not in a]
        stats = [pair['arms'][a] for a in arms]
        speed = [s['images_per_s'] for s in stats]
        batch = pair['batch']
        low = [v - batch / s['max_s'] for v, s in zip(speed, stats)]
        high = [batch / s['min_s'] - v for v, s in zip(speed, stats)]
        ax.barh(arms, speed, xerr=[low, high], capsize=3)
        ax.invert_yaxis()
        ax.set_xlabel('training images/s (median, min-max)')
        ax.set_title(f'{name}, batch {batch}, {results["machine"]["device"]}',
                     fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def parse_args(argv: List[str] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--iters', type=int, default=15,
                        help='timed rounds (one step of every arm each)')
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    parser.add_argument('--amp', action='store_true',
                        help='bf16 autocast (AmpOptimWrapper) on CUDA')
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--pairs', nargs='+', help='a subset of the pairs')
    parser.add_argument('--batch', type=int,
                        help='batch size of every pair (default: per pair)')
    parser.add_argument('--tiny', action='store_true',
                        help='tiny networks and inputs (smoke test)')
    parser.add_argument('--profile', action='store_true',
                        help='profile the KD and narrowest PWKD arms')
    parser.add_argument('--profile-steps', type=int, default=3)
    parser.add_argument(
        '--suite', choices=['pwkd', 'options'], default='pwkd',
        help='pwkd: PWKD, KD and the student; options: the batched '
        'preprocessor, bf16 without loss scale and a compiled teacher, '
        'each against the KD step (tools/benchmark/speed_options.py)')
    parser.add_argument('--out', required=True, help='JSON results')
    parser.add_argument('--plot', help='PNG of images/s per arm')
    return parser.parse_args(argv)


def main(argv: List[str] = None) -> dict:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    register_all_modules()
    device = torch.device(args.device)
    results = dict(
        command='python ' + ' '.join(sys.argv if argv is None else
                                     ['tools/benchmark/speed.py', *argv]),
        machine=machine(device),
        settings=dict(vars(args), widths=WIDTHS),
        pairs={})
    cfgs = pair_cfgs(args.tiny)
    cfgs = {
        name: dict(cfgs[name], batch=args.batch or cfgs[name]['batch'])
        for name in args.pairs or list(cfgs)
    }
    if args.suite == 'options':
        speed_options.run(args, cfgs, device, results)
    else:
        run_pwkd(args, cfgs, device, results)
    results['machine']['load_average_end'] = load_average()
    with open(args.out, 'w') as out:
        json.dump(results, out, indent=1)
    if args.plot and args.suite == 'pwkd':
        plot(results, args.plot)
    elif args.plot:
        speed_options.plot(results, args.plot)
    return results


if __name__ == '__main__':
    main()
