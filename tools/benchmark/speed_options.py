"""The arms of ``tools/benchmark/speed.py --suite options``: what the
batched preprocessor, bf16 without loss scaling and a compiled teacher
each change in a KD step, measured side by side by ``timing.py``.

Two sets of interleaved rounds:

- ``preprocess``: mmpretrain's ``ClsDataPreprocessor`` against
  :class:`BatchedClsDataPreprocessor` at batch 64 / 256 / 1024, plain and
  one-hot (mixup's labels). Each arm is what a step pays for its labels:
  the preprocessor, the head's ``torch.cat`` of the samples' labels, and
  the distiller's batched target. Images are 3x8x8 so that the arm
  measures the label work (on a GPU the image arithmetic is device work;
  on the CPU it is the same code in both).
- per pair, KD training steps (``model.train_step`` with the preprocessor):
  ``kd_stock`` (mmpretrain's preprocessor), ``kd`` (the batched one, our
  default), ``kd_bf16`` (that under :class:`MixedPrecisionOptimWrapper`),
  ``kd_compiled`` (that with ``compile_teacher=True``), ``bare_kd`` (the
  hand-written loop), and the teacher forward alone, eager and compiled.
  Compilation happens in the warm-up rounds.
"""
import argparse
import statistics
from functools import partial
from typing import Callable, Dict, List

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from speed_arms import Bench
from timing import Step, Times, arm_stats, paired, run_rounds

from mmpwkd.models.data_preprocessors import (BatchedClsDataPreprocessor,
                                              batch_gt_label)
from mmpwkd.registry import MODELS

PREPROCESS_BATCHES = (64, 256, 1024)
CLASSES = 1000
# ImageNet's settings (mmpretrain's imagenet_bs32.py).
IMAGENET = dict(
    mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)
KINDS = dict(stock=ClsDataPreprocessor, batched=BatchedClsDataPreprocessor)


def _cat_labels(samples: List[DataSample]) -> torch.Tensor:
    return torch.cat([sample.gt_label for sample in samples])


def _label_step(preprocessor: ClsDataPreprocessor, data: dict,
                gather: Callable) -> None:
    """The preprocessor, then the labels as the head and the distiller
    read them."""
    samples = preprocessor(data, True)['data_samples']
    _cat_labels(samples)
    gather(samples)


def preprocess_arms(batches: List[int]) -> Dict[str, Step]:
    """``{stock,batched}[_onehot]_b{batch}``: the label work of a step."""
    arms = {}
    for batch in batches:
        for onehot in (False, True):
            for kind, cls in KINDS.items():
                # Each arm has its own samples: the preprocessors write to
                # them.
                data = dict(
                    inputs=torch.randint(
                        0, 256, (batch, 3, 8, 8), dtype=torch.uint8),
                    data_samples=[
                        DataSample().set_gt_label(i % CLASSES)
                        for i in range(batch)
                    ])
                preprocessor = cls(
                    num_classes=CLASSES, to_onehot=onehot, **IMAGENET)
                gather = batch_gt_label if kind == 'batched' else _cat_labels
                name = f'{kind}{"_onehot" if onehot else ""}_b{batch}'
                arms[name] = partial(_label_step, preprocessor, data, gather)
    return arms


def kd_arms(bench: Bench) -> Dict[str, Step]:
    """The KD step with and without each change."""
    teacher = bench.cfg['teacher']
    stock = dict(type='ClsDataPreprocessor')
    return dict(
        kd_stock=bench.training_step(
            bench.distiller(teacher, data_preprocessor=stock)),
        kd=bench.training_step(bench.distiller(teacher)),
        kd_bf16=bench.training_step(bench.distiller(teacher), bf16=True),
        kd_compiled=bench.training_step(
            bench.distiller(teacher, compile_teacher=True)),
        bare_kd=bench.bare_kd_step(),
        teacher_forward=bench.teacher_forward(MODELS.build(teacher)),
        teacher_forward_compiled=bench.teacher_forward(
            MODELS.build(teacher), compiled=True),
    )


def summarise_preprocess(times: Times, batches: List[int]) -> dict:
    """Median ms per arm and the stock / batched ratio per batch."""
    found = {}
    for batch in batches:
        for suffix in ('', '_onehot'):
            stock = f'stock{suffix}_b{batch}'
            batched = f'batched{suffix}_b{batch}'
            found[f'{batch}{suffix}'] = dict(
                stock_ms=1e3 * statistics.median(times[stock]),
                batched_ms=1e3 * statistics.median(times[batched]),
                stock_ms_range=[1e3 * min(times[stock]),
                                1e3 * max(times[stock])],
                batched_ms_range=[1e3 * min(times[batched]),
                                  1e3 * max(times[batched])],
                stock_to_batched=paired(
                    times, lambda t, a=stock, b=batched: t[a] / t[b]))
    return found


RATIOS = {
    'kd_stock / kd (batched preprocessor gain)': ('kd_stock', 'kd'),
    'kd_bf16 / kd (bf16 without loss scale)': ('kd_bf16', 'kd'),
    'kd_compiled / kd (compiled teacher)': ('kd_compiled', 'kd'),
    'kd_stock / bare_kd': ('kd_stock', 'bare_kd'),
    'kd / bare_kd': ('kd', 'bare_kd'),
    'teacher_forward_compiled / teacher_forward': (
        'teacher_forward_compiled', 'teacher_forward'),
}


def summarise_kd(times: Times, batch: int) -> dict:
    """Per-arm step statistics and the paired ratios of :data:`RATIOS`."""
    arms = {arm: arm_stats(values, batch) for arm, values in times.items()}
    ratios = {
        name: paired(times, lambda t, a=a, b=b: t[a] / t[b])
        for name, (a, b) in RATIOS.items()
    }
    return dict(arms=arms, ratios=ratios)


def run(args: argparse.Namespace, cfgs: Dict[str, dict],
        device: torch.device, results: dict) -> dict:
    """Both sets of rounds into ``results``.

    Args:
        args (argparse.Namespace): speed.py's flags; the preprocessor runs
            ``10 x --iters`` rounds (its arms take milliseconds).
        cfgs (Dict[str, dict]): The pairs to run, with their batch.
        device (torch.device): Where the steps run.
        results (dict): speed.py's results, filled in and returned.
    """
    batches = [8, 16, 32] if args.tiny else list(PREPROCESS_BATCHES)
    times = run_rounds('preprocess', preprocess_arms(batches),
                       10 * args.iters, args.warmup, torch.device('cpu'))
    results['preprocess'] = dict(
        batches=batches,
        image_shape=[3, 8, 8],
        summary=summarise_preprocess(times, batches),
        times_s=times)
    for name, cfg in cfgs.items():
        times = run_rounds(name, kd_arms(Bench(cfg, args)), args.iters,
                           args.warmup, device)
        results['pairs'][name] = dict(
            size=cfg['size'], batch=cfg['batch'],
            **summarise_kd(times, cfg['batch']), times_s=times)
    return results


def plot(results: dict, path: str) -> None:
    """Label work per batch (stock against batched, log scale), and the
    KD step arms of each pair relative to ``kd``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    pairs = results['pairs']
    panels = 1 + len(pairs)
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4.5))
    summary = results['preprocess']['summary']
    batches = results['preprocess']['batches']
    ax = axes[0]
    for suffix, style in (('', '-'), ('_onehot', '--')):
        for kind, colour in (('stock', 'tab:red'), ('batched', 'tab:green')):
            ax.plot(batches, [summary[f'{b}{suffix}'][f'{kind}_ms']
                              for b in batches], style, color=colour,
                    marker='o', label=f'{kind}{suffix}')
    ax.set(xscale='log', yscale='log', xlabel='batch',
           ylabel='ms per batch (median)',
           title='preprocessor + label gathering')
    ax.minorticks_off()
    ax.set_xticks(batches, [str(b) for b in batches])
    ax.legend(fontsize=8)
    for ax, (name, pair) in zip(axes[1:], pairs.items()):
        arms = [a for a in pair['arms'] if a.startswith(('kd', 'bare'))]
        kd = pair['arms']['kd']['median_s']
        ax.barh(arms, [pair['arms'][a]['median_s'] / kd for a in arms])
        ax.axvline(1.0, color='grey', lw=0.8)
        ax.invert_yaxis()
        ax.set(xlabel='step time / kd (medians)',
               title=f'{name}, batch {pair["batch"]}')
    fig.suptitle(results['machine']['device'], fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
