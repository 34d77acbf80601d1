"""Runs of the accuracy benchmark: ordinary ``tools/train.py`` runs of the
configs in ``configs/benchmark/fmnist/``, trained once and reused.

A run is a config, a few ``--cfg-options`` and a seed. Its folder is named
by what it trains (config, regime cell, options), so the same run asked
for by two phases of the benchmark is trained once. A finished run leaves a
``done`` file with its wall time and a record in the repository
(``accuracy_records.py``) that outlives its folder; a killed one resumes
from its last checkpoint.
"""
import functools
import json
import multiprocessing
import os
import runpy
import statistics
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import accuracy_records

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'configs' / 'benchmark' / 'fmnist'
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@dataclass(frozen=True)
class Cell:
    """A regime: the student's images per class and its epochs."""

    per_class: int
    epochs: int

    @property
    def slug(self) -> str:
        return f'pc{self.per_class}_e{self.epochs}'

    @property
    def samples(self) -> int:
        """Training images seen, the cost of a run (10 classes)."""
        return 10 * self.per_class * self.epochs

    def options(self) -> Tuple[str, ...]:
        """``--cfg-options`` that put a benchmark config in this cell."""
        return (f'train_dataloader.dataset.per_class={self.per_class}',
                f'train_cfg.max_epochs={self.epochs}',
                f'train_cfg.val_interval={max(1, self.epochs // 10)}')


@functools.lru_cache(maxsize=None)
def config_cell(config: str) -> Cell:
    """The cell a benchmark config trains in by default (read in the main
    thread: mmengine's config loading is not thread-safe)."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(CONFIGS / config))
    return Cell(cfg.per_class, cfg.epochs)


@dataclass(frozen=True)
class Run:
    """One training run.

    Args:
        config (str): File name under ``configs/benchmark/fmnist/``.
        cell (Cell): The regime; options are added where it differs from
            the config's own.
        seed (int): ``randomness.seed``.
        options (tuple): Extra ``key=value`` options, e.g. a loss's tau.
        tag (str): Names the extra options in the run's folder.
    """

    config: str
    cell: Cell
    seed: int
    options: Tuple[str, ...] = ()
    tag: str = 'base'
    extra: Tuple[str, ...] = field(default=(), compare=False)

    def folder(self, root: Path) -> Path:
        return root / 'runs' / self.name

    @property
    def name(self) -> Path:
        return (Path(Path(self.config).stem) / self.cell.slug / self.tag /
                f'seed{self.seed}')

    def key(self) -> Dict[str, object]:
        """What identifies the run's record (computed in the main thread:
        it reads the config)."""
        return accuracy_records.key(CONFIGS / self.config, self.cell.slug,
                                    self.seed, (*self.options, *self.extra))

    def record(self) -> Optional[dict]:
        return accuracy_records.load(self.name, self.key())

    def command(self, root: Path) -> List[str]:
        cell = () if config_cell(self.config) == self.cell else \
            self.cell.options()
        return [
            sys.executable,
            str(REPO / 'tools' / 'train.py'),
            str(CONFIGS / self.config), '--work-dir',
            str(self.folder(root)), *resume_if_killed(self.folder(root)),
            '--cfg-options',
            f'randomness.seed={self.seed}', *cell, *self.options, *self.extra
        ]


def last_checkpoint(work_dir: Path) -> Optional[Path]:
    """The checkpoint named by mmengine's ``last_checkpoint`` file."""
    pointer = work_dir / 'last_checkpoint'
    if not pointer.exists():
        return None
    path = Path(pointer.read_text().strip())
    return path if path.exists() else None


def resume_if_killed(work_dir: Path) -> List[str]:
    """``--resume`` where a killed run left a checkpoint: it continues
    (a fresh run into a folder with checkpoints is refused)."""
    return ['--resume'] if last_checkpoint(work_dir) is not None else []


def scalars(work_dir: Path) -> List[dict]:
    """Records of a run in ``work_dir`` (mmengine's scalars), over all its
    parts: a killed run resumed writes a new log folder, and its records
    from the last checkpoint on replace those the kill cut short."""
    records: Dict[tuple, dict] = {}
    for log in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in log.read_text().splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line still being written
                break
            kind = 'val' if 'accuracy/top1' in record else 'train'
            records[kind, record.get('step', record.get('iter'))] = record
    return sorted(records.values(),
                  key=lambda r: (r.get('iter', 0), 'accuracy/top1' in r))


def val_history(work_dir: Path) -> List[dict]:
    """Validation records of the run in ``work_dir``, by epoch."""
    return sorted((r for r in scalars(work_dir) if 'accuracy/top1' in r),
                  key=lambda r: r['step'])


# An iteration time over this multiple of the run's median counts as the
# multiple: the process was stopped (SIGSTOP while tests ran) or swapped,
# which is not what the run costs. mmengine logs the time averaged over
# its last 10 iterations, so a pause shows as 10 long iterations.
PAUSE_FACTOR = 5


def train_seconds_at(work_dir: Path) -> Dict[int, float]:
    """Iteration -> training wall time so far (the summed iteration times
    of a run logged at every iteration; validation excluded; pauses capped
    at ``PAUSE_FACTOR`` times the median iteration)."""
    steps = [(record['iter'], record['time'])
             for record in scalars(work_dir)
             if 'loss' in record and 'time' in record]
    if not steps:
        return {}
    cap = PAUSE_FACTOR * statistics.median(seconds for _, seconds in steps)
    total, at = 0.0, {}
    for step, seconds in steps:
        total += min(seconds, cap)
        at[step] = total
    return at


# Every command is a script of the repo (tools/train.py, tools/test.py,
# ...), run in a process forked from one that imported the stack once
# (multiprocessing's forkserver): a run starts at once instead of spending
# about 10 s of CPU importing torch, mmengine and mmpretrain again. The
# server has run no kernel, so its children start with a clean thread pool.
# It imports all of mmpwkd too, so that every run of one benchmark process
# uses the code as it was when the process started: a file edited while a
# study runs never gives one run modules of two versions.
PRELOAD = ['torch', 'mmengine.runner', 'mmpretrain.models',
           'mmpretrain.datasets', 'mmpwkd.utils.cli', 'mmpwkd.datasets',
           'mmpwkd.engine', 'mmpwkd.evaluation', 'mmpwkd.models',
           'mmpwkd.safety.hooks']


@functools.lru_cache(maxsize=None)
def _processes() -> multiprocessing.context.BaseContext:
    if 'forkserver' not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context('spawn')  # Windows: no preload
    context = multiprocessing.get_context('forkserver')
    context.set_forkserver_preload(PRELOAD)
    return context


def _run_script(argv: List[str], log: str, threads: Optional[int]) -> None:
    """The child: ``python argv...`` in the repo, output into ``log``."""
    if threads is not None:
        import torch
        torch.set_num_threads(threads)
        os.environ.update(OMP_NUM_THREADS=str(threads),
                          MKL_NUM_THREADS=str(threads))
    os.chdir(REPO)
    with open(log, 'w') as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    # The scripts run (tools/train.py, tools/test.py, analysis tools)
    # import the installed packages only, not modules beside them.
    sys.argv = list(argv)
    runpy.run_path(argv[0], run_name='__main__')


def execute(command: List[str], log: Path,
            threads: Optional[int] = None) -> float:
    """Run ``command`` (``python SCRIPT ARGS``, a script of the repo) in the
    repo with its output in ``log``; returns the wall time in seconds."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.time()
    child = _processes().Process(
        target=_run_script, args=(command[1:], str(log), threads))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise RuntimeError(
            f'{" ".join(command)}\nfailed (exit {child.exitcode}); see {log}')
    return time.time() - start


def train_once(config: str, work_dir: Path, options: Sequence[str],
               what: str) -> Path:
    """Train a teacher once (two threads); a finished run is reused."""
    checkpoint = last_checkpoint(work_dir)
    if checkpoint is not None and (work_dir / 'done').exists():
        print(f'==> reusing the {what}: {checkpoint}', flush=True)
        return checkpoint
    command = [sys.executable, str(REPO / 'tools' / 'train.py'),
               str(CONFIGS / config), '--work-dir', str(work_dir),
               *resume_if_killed(work_dir), '--cfg-options', *options]
    print(f'==> training the {what}:\n    {" ".join(command)}', flush=True)
    seconds = execute(command, work_dir / 'train.log')
    (work_dir / 'done').write_text(f'{seconds:.1f}\n')
    print(f'    done in {seconds:.0f} s: {val_history(work_dir)[-1]}',
          flush=True)
    return last_checkpoint(work_dir)


def _label(run: Run) -> str:
    return f'{Path(run.config).stem} {run.cell.slug} {run.tag} seed {run.seed}'


def finished(run: Run, root: Path, scorings: Sequence[str] = ()) -> bool:
    """Trained before: here (its folder is done, its checkpoint at hand to
    score) or anywhere (recorded, with a test top-1 under each of
    ``scorings``; a run whose checkpoint is gone is trained again to be
    scored)."""
    if (run.folder(root) / 'done').exists():
        return True
    record = run.record() or {}
    return 'val' in record and all(
        scoring in record.get('test', {}) for scoring in scorings)


def run_all(runs: Sequence[Run], root: Path, jobs: int,
            label: Callable[[Run], str] = _label,
            epochs: bool = False, scorings: Sequence[str] = ()) -> None:
    """Train every run not finished before, ``jobs`` at a time (one thread
    each), printing a line per finished run (with ``epochs``, per
    validated epoch too) with the ETA. Each run is recorded as it
    finishes, with its test top-1 under each of ``scorings`` (a final's
    runs: scored at once, while the checkpoint is there). A failed run is
    reported at once and the others go on; the failures are raised, with
    their logs, when all are done."""
    todo = [run for run in dict.fromkeys(runs)
            if not finished(run, root, scorings)]
    print(f'==> {len(set(runs))} runs, {len(set(runs)) - len(todo)} reused, '
          f'{len(todo)} to train ({jobs} at a time)', flush=True)
    if not todo:
        return
    start = time.time()
    cost = sum(run.cell.samples for run in todo)
    number = {run: k for k, run in enumerate(todo, 1)}
    commands = {run: run.command(root) for run in todo}
    keys = {run: run.key() for run in todo}

    def one(run: Run) -> float:
        folder = run.folder(root)
        seconds = execute(commands[run], folder / 'train.log', threads=1)
        (folder / 'done').write_text(f'{seconds:.1f}\n')
        accuracy_records.save(run.name, keys[run], val=_val_result(folder))
        for scoring in scorings:
            top1 = _score_run(run, root, scoring, threads=1)
            accuracy_records.save(run.name, keys[run],
                                  test={scoring: top1})
        return seconds

    def line(run: Run, what: str, done: float) -> None:
        elapsed = time.time() - start
        eta = elapsed / done * (cost - done) if done else float('nan')
        print(f'[run {number[run]}/{len(todo)}] {label(run)}: {what}; '
              f'elapsed {elapsed / 60:.1f} min, ETA {eta / 60:.1f} min',
              flush=True)

    finished_samples, seen = 0.0, {run: 0 for run in todo}
    failed: List[str] = []

    def new_epochs(run: Run, history: List[dict], done: float) -> None:
        """A line per validated epoch not shown yet (a short run can
        validate twice between two looks)."""
        for record in history[seen[run]:] if epochs else ():
            line(run, f'epoch {record["step"]}/{run.cell.epochs}, '
                 f'val {record["accuracy/top1"]:.2f}%', done)
        seen[run] = len(history)

    with ThreadPoolExecutor(jobs) as pool:
        pending = {pool.submit(one, run): run for run in todo}
        while pending:
            done, _ = wait(pending, timeout=2, return_when=FIRST_COMPLETED)
            running = [r for f, r in pending.items() if f.running()]
            partial = 0.0
            for run in running:
                history = val_history(run.folder(root))
                if history:
                    partial += run.cell.samples * history[-1]['step'] / \
                        run.cell.epochs
                new_epochs(run, history, finished_samples + partial)
            for future in done:
                run = pending.pop(future)
                try:
                    seconds = future.result()
                except RuntimeError as error:  # the others go on
                    failed.append(f'{label(run)}: {error}')
                    line(run, f'FAILED ({error})', finished_samples)
                    continue
                # Counted before its last epochs are shown: with none
                # finished yet, a zero would make their ETA nan.
                finished_samples += run.cell.samples
                new_epochs(run, val_history(run.folder(root)),
                           finished_samples)
                top1 = val_history(run.folder(root))[-1]['accuracy/top1']
                line(run, f'done, val {top1:.2f}% in {seconds:.0f} s',
                     finished_samples)
    if failed:
        raise RuntimeError(f'{len(failed)} of {len(todo)} runs failed (the '
                           'others are recorded; a rerun retries these):\n' +
                           '\n'.join(failed))


def val_result(run: Run, root: Path) -> dict:
    """Final validation accuracy, curve and wall time of a finished run:
    its record, or (recorded now) its folder's logs."""
    record = run.record()
    if record is not None and 'val' in record:
        return record['val']
    result = _val_result(run.folder(root))
    accuracy_records.save(run.name, run.key(), val=result)
    return result


def _val_result(folder: Path) -> dict:
    history = val_history(folder)
    seconds_at = train_seconds_at(folder)
    return dict(
        val_top1=history[-1]['accuracy/top1'],
        curve=[[r['step'], r['accuracy/top1']] for r in history],
        train_seconds=[seconds_at.get(r['step'] * _iters_per_epoch(folder))
                       for r in history],
        seconds=float((folder / 'done').read_text()))


def _iters_per_epoch(folder: Path) -> int:
    records = [r for r in scalars(folder) if 'loss' in r]
    epochs = [r['epoch'] for r in records]
    last_epoch = max(epochs)
    return max(r['iter'] for r in records) // last_epoch


# Scores of a checkpoint on the test set: with BN statistics re-estimated
# on the run's training data (the benchmark configs' PreciseBNEvalHook), and
# with the statistics the checkpoint was saved with.
SCORINGS = dict(
    precise_bn=(), as_saved=('default_hooks.precise_bn_eval.test=False', ))
SCORING_LABELS = dict(precise_bn='BN re-estimated', as_saved='as saved')


def score_test(config: str, checkpoint: Path, folder: Path,
               options: Sequence[str], scoring: str = 'precise_bn',
               threads: int = 2) -> Dict[str, float]:
    """Test-set metrics of a checkpoint, scored once by ``tools/test.py``
    and kept in ``folder/test_metrics[_as_saved].json``."""
    suffix = '' if scoring == 'precise_bn' else f'_{scoring}'
    out = folder / f'test_metrics{suffix}.json'
    if not out.exists():
        command = [
            sys.executable,
            str(REPO / 'tools' / 'test.py'),
            str(CONFIGS / config),
            str(checkpoint), '--work-dir',
            str(folder / 'test'), '--out', str(out), '--out-item', 'metrics',
            '--cfg-options', *options, *SCORINGS[scoring]
        ]
        execute(command, folder / f'test{suffix}.log', threads=threads)
    return json.loads(out.read_text())


def test_top1(run: Run, root: Path, scoring: str = 'precise_bn') -> float:
    """Test-set top-1 of a finished run's last checkpoint, on the run's own
    training data (its cell) for the BN statistics: recorded, or scored
    now (and recorded)."""
    record = run.record()
    if record is not None and scoring in record.get('test', {}):
        return record['test'][scoring]
    if last_checkpoint(run.folder(root)) is None:
        raise SystemExit(
            f'{run.name}: no test score recorded and no checkpoint in '
            f'{run.folder(root)} to score; remove its record to train it '
            'again')
    top1 = _score_run(run, root, scoring)
    accuracy_records.save(run.name, run.key(), test={scoring: top1})
    return top1


def _score_run(run: Run, root: Path, scoring: str, threads: int = 2) -> float:
    folder = run.folder(root)
    cell = () if config_cell(run.config) == run.cell else run.cell.options()
    return score_test(run.config, last_checkpoint(folder), folder,
                      [*cell, *run.options, *run.extra], scoring,
                      threads)['accuracy/top1']
