"""Every runnable config under configs/ gets its own default work dir.

Without ``--work-dir``, tools/train.py and tools/test.py put a run's logs
and checkpoints in the work dir that ``mmpwkd.utils.cli.build_runner``
derives from the config file; two runnable configs that share it share
checkpoints: the second run resumes or overwrites the first one's.
``_base_`` fragments are never run, so their names may repeat. The work
dirs here come from ``build_runner`` itself, with the Runner it would
build replaced by one that reports its work dir.
"""
import argparse
import re
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, List

import pytest
from mmengine.config import Config

from conftest import REPO
from mmpwkd.utils import cli

CONFIGS = REPO / 'configs'


def runnable_configs(root: Path) -> List[Path]:
    """Every ``.py`` file under ``root`` outside ``_base_`` folders."""
    return sorted(
        path for path in root.rglob('*.py')
        if '_base_' not in path.relative_to(root).parts)


@pytest.fixture
def work_dir_of(monkeypatch) -> Callable[[Path], str]:
    """The default work dir ``build_runner`` gives a config file.

    Only the file name and a ``work_dir`` key of the config decide it, and
    no config sets ``work_dir`` (checked below), so the config is passed
    without its content."""
    report = SimpleNamespace(from_cfg=lambda cfg: cfg.work_dir,
                             build=lambda cfg: cfg.work_dir)
    monkeypatch.setattr(cli, 'Runner', report)
    monkeypatch.setattr(cli, 'RUNNERS', report)
    parser = argparse.ArgumentParser()
    cli.add_common_args(parser)
    args = parser.parse_args([])
    return lambda path: cli.build_runner(
        Config(dict(launcher='none'), filename=str(path)), args)


def test_no_config_sets_its_own_work_dir():
    setting = re.compile(r'^\s*work_dir\s*=', re.MULTILINE)
    found = [
        str(path.relative_to(REPO)) for path in CONFIGS.rglob('*.py')
        if setting.search(path.read_text())
    ]
    assert not found, found


def test_runnable_configs_have_their_own_work_dir(work_dir_of):
    users = defaultdict(list)
    for path in runnable_configs(CONFIGS):
        users[work_dir_of(path)].append(str(path.relative_to(REPO)))
    shared = {d: found for d, found in users.items() if len(found) > 1}
    assert not shared, 'configs that would share a work dir: ' + '; '.join(
        f'{" and ".join(found)} ({work_dir})'
        for work_dir, found in shared.items())
    assert len(users) == len(runnable_configs(CONFIGS)) > 20


def test_same_file_name_in_two_folders_shares_a_work_dir(
        tmp_path, work_dir_of):
    """Why the file names must differ: ``build_runner`` names the work dir
    after the file alone, not its folder."""
    paths = [tmp_path / folder / name
             for folder, name in (('kd', 'same.py'), ('pwkd', 'same.py'),
                                  ('kd', 'other.py'))]
    for path in paths:
        path.parent.mkdir(exist_ok=True)
        path.write_text('x = 1\n')
    same, also_same, other = (Path(work_dir_of(path)) for path in paths)
    assert same == also_same == Path('work_dirs/same')
    assert other == Path('work_dirs/other')
