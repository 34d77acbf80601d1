"""How the accuracy benchmark runs a script: in a process forked from a
server that imported the stack once, in the repo, with the threads it is
given and its output in the run's log; a failing script stops the
benchmark, naming its log."""
import sys
import textwrap

import pytest

from conftest import REPO, run_tool

SCRIPT = """
import os, sys, torch
print('cwd', os.getcwd())
print('threads', torch.get_num_threads(), os.environ['OMP_NUM_THREADS'])
print('argv', sys.argv[1:])
sys.exit(int(sys.argv[1]))
"""
DRIVER = """
import sys
from pathlib import Path
sys.path.insert(0, {benchmark!r})
from accuracy_runs import execute
log = Path({log!r})
execute([sys.executable, {script!r}, '0', 'x'], log, threads=2)
print(log.read_text())
try:
    execute([sys.executable, {script!r}, '3'], log)
except RuntimeError as error:
    print('raised:', error)
"""


def test_a_script_runs_in_the_repo_and_a_failure_names_its_log(tmp_path):
    script = tmp_path / 'script.py'
    script.write_text(SCRIPT)
    log = tmp_path / 'runs' / 'train.log'
    driver = DRIVER.format(benchmark=str(REPO / 'tools' / 'benchmark'),
                           log=str(log), script=str(script))
    out = run_tool([sys.executable, '-c', textwrap.dedent(driver)],
                   cwd=tmp_path).stdout
    assert f'cwd {REPO}' in out
    assert 'threads 2 2' in out  # pytest runs with OMP_NUM_THREADS=1
    assert "argv ['0', 'x']" in out
    assert 'raised:' in out and 'failed (exit 3)' in out
    assert f'see {log}' in out
    # The failed run's output is in its log.
    assert "argv ['3']" in log.read_text()


TIMES = """
import json, sys
from pathlib import Path
sys.path.insert(0, {benchmark!r})
from accuracy_runs import train_seconds_at
log = Path({work_dir!r}) / '20260101_000000' / 'vis_data'
log.mkdir(parents=True)
# 30 iterations of 0.5 s, a 60-second stop (mmengine averages over 10
# iterations: 10 logged 6 s longer), one slow data-loader start.
times = [0.5] * 30
for i in range(10, 20):
    times[i] += 6.0
times[0] = 1.5
log.joinpath('scalars.json').write_text('\\n'.join(
    json.dumps(dict(iter=i + 1, loss=1.0, time=t))
    for i, t in enumerate(times)))
at = train_seconds_at(Path({work_dir!r}))
print(at[1], at[10], at[30])
"""


def test_a_paused_run_is_charged_its_iterations_not_the_pause(tmp_path):
    script = tmp_path / 'times.py'
    script.write_text(TIMES.format(
        benchmark=str(REPO / 'tools' / 'benchmark'),
        work_dir=str(tmp_path / 'run')))
    result = run_tool([sys.executable, str(script)])
    first, tenth, last = map(float, result.stdout.split())
    # The start (3x the median) counts in full; the pause's iterations
    # count at 5x the median, 2.5 s each instead of 6.5.
    assert (first, tenth) == (1.5, 1.5 + 9 * 0.5)
    assert last == pytest.approx(1.5 + 19 * 0.5 + 10 * 2.5)


FAILING = """
import json, sys
from pathlib import Path
sys.path.insert(0, {benchmark!r})
import accuracy_records, accuracy_runs
from accuracy_runs import Cell, Run, run_all

accuracy_records.keep_in(Path({root!r}) / 'records')
CONFIG = 'resnet8_1xb128_fmnist-student.py'
runs = [Run(CONFIG, Cell(1, 1), seed) for seed in (0, 1, 2)]


def execute(command, log, threads=None):
    folder = log.parent
    if '--work-dir' in command and str(runs[1].folder(Path({root!r})))\\
            in command:
        raise RuntimeError(f'{{command[1]}}\\nfailed (exit 1); see {{log}}')
    vis = folder / '20260101_000000' / 'vis_data'
    vis.mkdir(parents=True)
    vis.joinpath('scalars.json').write_text('\\n'.join(json.dumps(r) for r in (
        dict(iter=1, epoch=1, loss=1.0, time=0.5),
        dict(step=1, **{{'accuracy/top1': 50.0}}))))
    return 1.0


accuracy_runs.execute = execute
try:
    run_all(runs, Path({root!r}), jobs=1, epochs={epochs})
except RuntimeError as error:
    print('raised:', error)
print('done:', sorted(p.name for p in Path({root!r}).glob('runs/*/*/*/*')
                      if (p / 'done').exists()))
"""


def test_a_failed_run_is_reported_and_the_others_go_on(tmp_path):
    script = tmp_path / 'failing.py'
    script.write_text(FAILING.format(
        benchmark=str(REPO / 'tools' / 'benchmark'),
        root=str(tmp_path / 'root'), epochs=False))
    out = run_tool([sys.executable, str(script)]).stdout
    assert 'resnet8_1xb128_fmnist-student pc1_e1 base seed 1: FAILED' in out
    assert 'seed 2: done' in out  # after the failure, in the same call
    assert 'raised: 1 of 3 runs failed' in out
    assert "done: ['seed0', 'seed2']" in out


def test_epochs_shown_as_a_run_ends_have_an_eta(tmp_path):
    # The stub finishes before the first look at its history, so its only
    # epoch is shown with the run's end, before which nothing had finished.
    script = tmp_path / 'epochs.py'
    script.write_text(FAILING.format(
        benchmark=str(REPO / 'tools' / 'benchmark'),
        root=str(tmp_path / 'root'), epochs=True))
    out = run_tool([sys.executable, str(script)]).stdout
    epoch_lines = [line for line in out.splitlines() if 'epoch 1/1' in line]
    assert len(epoch_lines) == 2, out  # seeds 0 and 2; seed 1 failed
    assert all('ETA' in line and 'nan' not in line for line in epoch_lines)
