"""The one timing harness of the speed benchmarks (``speed.py`` and its
``--suite options``, ``slimmable_forward.py``).

Every arm runs once per round, all arms in one process, and the arm that
starts rotates every round (A B C, B C A, C A B, ...): no arm always
follows the same one, and a drift in the machine's load hits every arm
alike. The first ``warmup`` rounds are run and dropped. An arm is reported
as its median over the kept rounds with their min-max (:func:`spread`);
a ratio of two arms is the median of its per-round values
(:func:`paired`), i.e. measured side by side.
"""
import os
import platform
import statistics
import time
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import torch

Step = Callable[[], object]
Times = Dict[str, List[float]]


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (a no-op on the CPU)."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def timed(step: Step, device: torch.device) -> float:
    """Seconds one call of ``step`` takes, device work included."""
    synchronize(device)
    start = time.perf_counter()
    step()
    synchronize(device)
    return time.perf_counter() - start


def rotation(names: Sequence[str], index: int) -> List[str]:
    """The order of round ``index``: ``names`` started at its
    ``index``-th entry (modulo its length)."""
    shift = index % len(names)
    return [*names[shift:], *names[:shift]]


def run_rounds(label: str, arms: Mapping[str, Step], rounds: int,
               warmup: int, device: torch.device,
               setup: Optional[Mapping[str, Step]] = None) -> Times:
    """Seconds of every arm in each kept round.

    A progress line (``[label] round i/n (warm-up|timed), s``) is printed
    every tenth of the rounds, and after the last.

    Args:
        label (str): Names the set of arms in the progress lines.
        arms (Mapping[str, Step]): What to time, by name; each call is
            one step.
        rounds (int): Kept rounds.
        warmup (int): Rounds run before them and dropped.
        device (torch.device): Synchronised around each step.
        setup (Mapping[str, Step], optional): Untimed calls made right
            before an arm's step (e.g. switching a width). Defaults to
            None.

    Returns:
        dict[str, list[float]]: Arm name to its seconds, one per kept
        round, in round order.
    """
    if rounds < 1 or warmup < 0:
        raise ValueError('rounds must be >= 1 and warmup >= 0, got '
                         f'rounds={rounds}, warmup={warmup}')
    setup = setup or {}
    times: Times = {name: [] for name in arms}
    total = warmup + rounds
    every = max(1, total // 10)
    start = time.perf_counter()
    for index in range(total):
        for name in rotation(list(arms), index):
            if name in setup:
                setup[name]()
            elapsed = timed(arms[name], device)
            if index >= warmup:
                times[name].append(elapsed)
        if (index + 1) % every == 0 or index + 1 == total:
            phase = 'warm-up' if index < warmup else 'timed'
            print(f'[{label}] round {index + 1}/{total} ({phase}), '
                  f'{time.perf_counter() - start:.0f} s', flush=True)
    return times


def paired(times: Times, ratio: Callable[[Dict[str, float]], float]) -> float:
    """Median over the rounds of ``ratio`` of one round's times."""
    rounds = len(next(iter(times.values())))
    return statistics.median(
        ratio({name: values[i]
               for name, values in times.items()}) for i in range(rounds))


def spread(values: Sequence[float]) -> Dict[str, float]:
    """Median, quartiles (inclusive method), min and max."""
    if len(values) > 1:
        q1, _, q3 = statistics.quantiles(values, n=4, method='inclusive')
    else:
        q1 = q3 = values[0]
    return dict(
        median=statistics.median(values),
        q1=q1,
        q3=q3,
        min=min(values),
        max=max(values))


def arm_stats(values: Sequence[float], batch: int) -> Dict[str, float]:
    """Median, min and max seconds of one arm's step, and its images/s
    at the median for a batch of ``batch`` images."""
    median = statistics.median(values)
    return dict(
        median_s=median,
        min_s=min(values),
        max_s=max(values),
        images_per_s=batch / median)


def cpu_name() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` where there is one)."""
    try:
        with open('/proc/cpuinfo') as cpuinfo:
            for line in cpuinfo:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> List[float]:
    """The 1-, 5- and 15-minute load averages."""
    return list(os.getloadavg())
