"""Training speed of PWKD against the student alone, vanilla KD and a bare
PyTorch KD loop (issue 7).

Partial to Whole Knowledge Distillation (Zhang, Zhang, Sun, arXiv
2109.12507) teaches with a narrow sub-network of a slimmable teacher first,
so its early stages should cost little more than training the student.
Every arm runs one training iteration per round, interleaved (A B C ... A B
C ...) in one process; after warm-up rounds, the median, min and max step
times are reported, and ratios are medians of per-round ratios (measured
side by side), as /work/shared/BENCHMARKS.md asks.

Example:
    python tools/benchmark/speed.py --profile \\
        --out docs/benchmarks/speed.json --plot docs/benchmarks/speed.png
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
from functools import partial
from typing import Callable, Dict, List

import torch
import torch.nn.functional as F
from mmengine.optim import AmpOptimWrapper, OptimWrapper
from mmpretrain.structures import DataSample
from torch import Tensor, nn
from torch.profiler import ProfilerActivity, profile

from mmpwkd.engine import MixedPrecisionOptimWrapper
from mmpwkd.models.slimmable import export_width
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

WIDTHS = (0.25, 0.5, 0.75, 1.0)
TAU, KD_WEIGHT = 1.0, 5.0  # configs/kd/kd_resnet34_resnet18_8xb32_in1k.py
SGD = dict(lr=0.01, momentum=0.9, weight_decay=1e-4)
Step = Callable[[], None]


def classifier(backbone: dict, channels: int, classes: int) -> dict:
    return dict(
        type='ImageClassifier',
        backbone=backbone,
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=classes,
            in_channels=channels,
            loss=dict(type='CrossEntropyLoss')))


def pair_cfgs(tiny: bool) -> Dict[str, dict]:
    """Student and teacher configs, input size and batch of each pair;
    ``tiny`` shrinks them for the smoke test."""
    base = 8 if tiny else 64
    resnet = partial(
        dict, type='ResNet', stem_channels=base, base_channels=base,
        out_indices=(3, ))
    return {
        'resnet34_resnet18_224': dict(
            student=classifier(resnet(depth=18), base * 8, 1000),
            teacher=classifier(resnet(depth=34), base * 8, 1000),
            size=32 if tiny else 224, batch=2 if tiny else 8),
        'resnet56_resnet20_cifar32': dict(
            student=classifier(
                dict(type='CIFARResNet', arch='resnet20'), 64, 100),
            teacher=classifier(
                dict(type='CIFARResNet', arch='resnet56'), 64, 100),
            size=32, batch=2 if tiny else 64),
    }


class Bench:
    """Builds the arms of one pair on one device."""

    def __init__(self, cfg: dict, args: argparse.Namespace) -> None:
        self.cfg, self.args = cfg, args
        self.device = torch.device(args.device)
        self.amp = args.amp and self.device.type == 'cuda'
        self.format = (torch.channels_last
                       if args.channels_last else torch.contiguous_format)
        torch.manual_seed(0)
        shape = (cfg['batch'], 3, cfg['size'], cfg['size'])
        self.inputs = torch.randn(shape).to(
            self.device, memory_format=self.format)
        self.labels = torch.randint(0, 100, (cfg['batch'], ),
                                    device=self.device)
        self.data = dict(
            inputs=self.inputs,
            data_samples=[
                DataSample().set_gt_label(int(label)) for label in self.labels
            ])

    def _to_device(self, model: nn.Module) -> nn.Module:
        return model.to(self.device, memory_format=self.format)

    def _train_step(self, model: nn.Module, bf16: bool = False) -> Step:
        """One ``train_step``; with ``bf16`` under
        :class:`MixedPrecisionOptimWrapper` (bfloat16, no loss scale),
        else under the wrapper of ``--amp`` (mmengine's)."""
        model = self._to_device(model).train()
        # What mmengine's default constructor builds from the config
        # optim_wrapper=dict(optimizer=SGD): every parameter, one group.
        optimizer = torch.optim.SGD(model.parameters(), **SGD)
        if bf16:
            wrapper = MixedPrecisionOptimWrapper(
                dtype='bfloat16', optimizer=optimizer)
        elif self.amp:
            wrapper = AmpOptimWrapper(dtype='bfloat16', optimizer=optimizer)
        else:
            wrapper = OptimWrapper(optimizer)
        return partial(model.train_step, self.data, wrapper)

    def _distiller(self, teacher: dict, **kwargs) -> nn.Module:
        return MODELS.build(
            dict(
                type='PWKDDistiller',
                student=self.cfg['student'],
                teacher=teacher,
                student_loss_weight=1.0,
                distill_losses=dict(
                    loss_kd=dict(
                        type='KDLoss', tau=TAU, loss_weight=KD_WEIGHT)),
                **kwargs))

    def slimmable_cfg(self) -> dict:
        return dict(
            self.cfg['teacher'],
            type='SlimmableClassifier',
            widths=WIDTHS,
            eval_all_widths=False)

    def _pwkd_step(self, width: float) -> Step:
        model = self._distiller(self.slimmable_cfg())
        model.set_teacher_width(width)
        return self._train_step(model)

    def _teacher_forward(self, net: nn.Module) -> Step:
        net = self._to_device(net).eval().requires_grad_(False)

        @torch.no_grad()
        def forward() -> None:
            with torch.autocast(self.device.type, enabled=self.amp):
                net.head(net.extract_feat(self.inputs))

        return forward

    def _bare_kd_step(self, with_teacher: bool = True) -> Step:
        """The floor: the same student and teacher work in a hand-written
        loop (student, CE, teacher under no_grad, KL, backward, SGD), with
        the labels as one tensor and no loss scaling; without the teacher,
        the floor of the student's own step."""
        student = self._to_device(MODELS.build(self.cfg['student'])).train()
        teacher = self._to_device(MODELS.build(self.cfg['teacher'])).eval()
        teacher.requires_grad_(False)
        optimizer = torch.optim.SGD(student.parameters(), **SGD)

        def logits(net: nn.Module) -> Tensor:
            return net.head.fc(net.neck(net.backbone(self.inputs))[-1])

        def step() -> None:
            with torch.autocast(self.device.type, enabled=self.amp):
                out = logits(student)
                loss = F.cross_entropy(out, self.labels)
                if with_teacher:
                    with torch.no_grad():
                        target = logits(teacher)
                    kl = F.kl_div(
                        F.log_softmax(out.float() / TAU, dim=1),
                        F.log_softmax(target.float() / TAU, dim=1),
                        reduction='batchmean',
                        log_target=True)
                    loss = loss + KD_WEIGHT * TAU**2 * kl
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        return step

    def arms(self) -> Dict[str, Step]:
        """Every arm by name; an arm runs one iteration."""
        arms = {'student': self._train_step(MODELS.build(self.cfg['student']))}
        arms['bare_student'] = self._bare_kd_step(with_teacher=False)
        arms['kd'] = self._train_step(self._distiller(self.cfg['teacher']))
        arms['bare_kd'] = self._bare_kd_step()
        slimmable = MODELS.build(self.slimmable_cfg())
        for width in WIDTHS:
            arms[f'pwkd_w{width}'] = self._pwkd_step(width)
            plain_cfg, state = export_width(slimmable, self.slimmable_cfg(),
                                            width)
            plain = MODELS.build(plain_cfg)
            plain.load_state_dict(state)
            arms[f'teacher_forward_w{width}'] = self._teacher_forward(plain)
        arms['slimmable_joint'] = self._train_step(slimmable)
        arms['teacher_full_step'] = self._train_step(
            MODELS.build(self.cfg['teacher']))
        return arms


def timed(step: Step, device: torch.device) -> float:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    step()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    return time.perf_counter() - start


def run_rounds(name: str, arms: Dict[str, Step], args: argparse.Namespace,
               device: torch.device) -> Dict[str, List[float]]:
    """Step times per arm, interleaved; the start rotates every round so
    that no arm always follows the same one."""
    times: Dict[str, List[float]] = {arm: [] for arm in arms}
    names = list(arms)
    rounds = args.warmup + args.iters
    start = time.perf_counter()
    for index in range(rounds):
        shift = index % len(names)
        for arm in names[shift:] + names[:shift]:
            elapsed = timed(arms[arm], device)
            if index >= args.warmup:
                times[arm].append(elapsed)
        phase = 'warm-up' if index < args.warmup else 'timed'
        print(f'[{name}] round {index + 1}/{rounds} ({phase}), '
              f'{time.perf_counter() - start:.0f} s', file=sys.stderr,
              flush=True)
    return times


def paired(times: Dict[str, List[float]],
           ratio: Callable[[Dict[str, float]], float]) -> float:
    """Median over rounds of ``ratio`` of that round's step times."""
    rounds = len(next(iter(times.values())))
    return statistics.median(
        ratio({arm: values[i]
               for arm, values in times.items()}) for i in range(rounds))


def arm_stats(values: List[float], batch: int) -> dict:
    """Median, min and max step time of one arm, and its images/s."""
    median = statistics.median(values)
    return dict(
        median_s=median,
        min_s=min(values),
        max_s=max(values),
        images_per_s=batch / median)


def summarise(times: Dict[str, List[float]], batch: int) -> dict:
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


def targets(times: Dict[str, List[float]]) -> List[dict]:
    """The ratios of issue 7, each with its limit."""
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
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
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
    """The PWKD arms of every pair (issue 7) into ``results['pairs']``."""
    for name, cfg in cfgs.items():
        arms = Bench(cfg, args).arms()
        times = run_rounds(name, arms, args, device)
        pair = dict(size=cfg['size'], batch=cfg['batch'],
                    **summarise(times, cfg['batch']), times_s=times)
        if args.profile:
            pair['profile'] = profile_arms(
                arms, ['student', 'kd', 'pwkd_w0.25'],
                args.profile_steps, top=8, device=device)
        results['pairs'][name] = pair


def machine(device: torch.device) -> dict:
    if device.type == 'cuda':
        name = torch.cuda.get_device_name(device)
    else:
        name = platform.processor() or platform.machine()
        with open('/proc/cpuinfo') as cpuinfo:
            models = [
                line.split(':', 1)[1].strip() for line in cpuinfo
                if line.startswith('model name')
            ]
        name = models[0] if models else name
    return dict(
        cores=os.cpu_count(),
        threads=torch.get_num_threads(),
        torch=torch.__version__,
        device=f'{device.type}: {name}',
        load_average_start=os.getloadavg())


def plot(results: dict, path: str) -> None:
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
        help='pwkd: PWKD, KD and the student (issue 7); options: the '
        'batched preprocessor, bf16 without loss scale and a compiled '
        'teacher (issue 15, tools/benchmark/speed_options.py)')
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
        import speed_options
        speed_options.run(args, cfgs, device, results)
    else:
        run_pwkd(args, cfgs, device, results)
    results['machine']['load_average_end'] = os.getloadavg()
    with open(args.out, 'w') as out:
        json.dump(results, out, indent=1)
    if args.plot and args.suite == 'pwkd':
        plot(results, args.plot)
    elif args.plot:
        speed_options.plot(results, args.plot)
    return results


if __name__ == '__main__':
    main()
