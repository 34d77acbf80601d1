"""How the accuracy benchmark runs a script: in a process forked from a
server that imported the stack once, in the repo, with the threads it is
given and its output in the run's log; a failing script stops the
benchmark, naming its log."""
import sys
import textwrap

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
