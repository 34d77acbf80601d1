"""What a PWKD + KD run's training costs against KD's, measured side by
side.

The verdict's equal-cost arm trains KD for the epochs that take PWKD + KD's
training time. The summed iteration times of separate runs carry the load
the machine had while each ran (tests beside them, another run), so the
ratio is measured here instead, in one process: one training step of the
cell's distiller (``model.train_step``, optimizer update included) at each
stage's teacher width, and at width 1.0, which is KD's step (the KD config
is the same distiller with one stage at the whole teacher). The arms take
turns over rounds (``timing.run_rounds``), and the ratio is taken within
each round, weighting each width by its stage's length:

    ratio = sum_k len_k * t(w_k) / (sum_k len_k * t(1.0))

The teacher's weights do not change its cost, so it is built untrained.
"""
import argparse
from functools import partial
from pathlib import Path
from statistics import median
from typing import Dict, Sequence

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmpretrain.structures import DataSample
from timing import run_rounds, spread

from mmpwkd.engine.stages import StageSchedule
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

# Fashion-MNIST images as the data loader hands them over.
IMAGE = (1, 28, 28)


def _options(options: Sequence[str]) -> Dict[str, object]:
    """``key=value`` strings parsed as ``--cfg-options`` of the runs'
    ``tools/train.py`` parses them (mmengine's ``DictAction``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *options]).cfg_options


def step_cost_ratio(config: Path, options: Sequence[str], rounds: int,
                    warmup: int = 5, threads: int = 1) -> dict:
    """PWKD + KD's training step time over KD's for the PWKD ``config``
    with ``options`` (those of its runs: teacher, data, batch size).

    What both arms pay per iteration outside the step (loading the batch,
    hooks, logging) is not in it, so the ratio is a little further from 1
    than the ratio of whole iterations: the equal-cost KD arm gets at most
    a few percent fewer epochs than PWKD + KD's time would buy, which can
    only favour PWKD + KD.

    Returns:
        dict: ``ratio`` (the median over rounds) and its ``spread``, each
        width's median step in seconds, the stage lengths, rounds, threads
        and the batch size.
    """
    register_all_modules()
    cfg = Config.fromfile(str(config))
    cfg.merge_from_dict(_options(options))
    cfg.model.teacher_ckpt = None
    cfg.model.allow_untrained_teacher = True
    hook = next(hook for hook in cfg.custom_hooks
                if hook['type'] == 'PWKDStageHook')
    if hook.get('gradual'):
        raise ValueError('accuracy_cost: a gradual schedule draws its widths '
                         'per iteration; its cost is not a weighted sum of '
                         'stage widths')
    schedule = StageSchedule(
        hook['stages'], allow_partial_end=hook.get('allow_partial_end',
                                                   False),
        any_order=hook.get('any_order', False))
    lengths = list(schedule.lengths)  # ratios, epochs or iterations
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.train()
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        batch = cfg.train_dataloader.batch_size
        generator = torch.Generator().manual_seed(0)
        data = dict(
            inputs=[torch.randint(0, 256, IMAGE, dtype=torch.uint8,
                                  generator=generator)
                    for _ in range(batch)],
            data_samples=[DataSample().set_gt_label(i % 10)
                          for i in range(batch)])
        widths = sorted({*schedule.widths, 1.0})
        # One step, the same for every arm; the setup (untimed, right
        # before it) sets the arm's teacher width.
        step = partial(model.train_step, data, optim_wrapper)
        arms = {f'w{w}': step for w in widths}
        setup = {f'w{w}': partial(model.set_teacher_width, w)
                 for w in widths}
        times = run_rounds('cost', arms, rounds, warmup,
                           torch.device('cpu'), setup)
    finally:
        torch.set_num_threads(previous)

    def ratio(i: int) -> float:
        pwkd = sum(n * times[f'w{w}'][i]
                   for n, w in zip(lengths, schedule.widths))
        return pwkd / (sum(lengths) * times['w1.0'][i])

    ratios = [ratio(i) for i in range(rounds)]
    return dict(
        ratio=median(ratios),
        spread=spread(ratios),
        step_seconds={f'{w}': median(times[f'w{w}']) for w in widths},
        stage_widths=list(schedule.widths),
        stage_lengths=lengths,
        rounds=rounds,
        threads=threads,
        batch_size=batch)
