"""docs/architecture.md follows one PWKD iteration file by file: the
project files it lists are exactly those whose code runs in one training
iteration of the CIFAR-100 PWKD + KD config (after the first batch), as a
profiler sees them."""
import re
import sys
from pathlib import Path
from typing import Dict, Set

from mmengine.config import Config
from mmengine.runner import Runner

import mmpretrain
import mmpwkd
from config_families import tiny_config
from conftest import REPO

PACKAGE = Path(mmpwkd.__file__).resolve().parent
HOST = Path(mmpretrain.__file__).resolve().parent
DOC = REPO / 'docs' / 'architecture.md'
TRACED = 1  # after the first (its one-time checks), inside the first stage


def documented() -> Set[str]:
    """The files of the numbered list under 'One PWKD iteration'."""
    section = DOC.read_text().split('## One PWKD iteration')[1]
    section = section.split('\n## ')[0]
    return set(re.findall(r'^\s*\d+\. `([\w/]+\.py)`', section, re.M))


def entered(config: Path, work_dir: Path) -> Dict[Path, Set[str]]:
    """Per package (ours and mmpretrain), the files whose functions are
    called in iteration ``TRACED`` of a run of ``config``."""
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    loop = runner.train_loop
    run_iter = loop.run_iter
    files: Dict[Path, Set[str]] = {PACKAGE: set(), HOST: set()}

    def profile(frame, event, arg):
        if event == 'call':
            path = Path(frame.f_code.co_filename)
            for package, seen in files.items():
                if path.is_relative_to(package):
                    seen.add(path.relative_to(package).as_posix())

    def traced(idx, data_batch):
        if runner.iter != TRACED:
            return run_iter(idx, data_batch)
        sys.setprofile(profile)
        try:
            return run_iter(idx, data_batch)
        finally:
            sys.setprofile(None)

    loop.run_iter = traced
    runner.train()
    return files


def test_the_documented_iteration_is_the_traced_one(tmp_path, image_folder,
                                                    fake_fashion_mnist):
    config = tiny_config('cifar100', tmp_path, image_folder,
                         fake_fashion_mnist)
    traced = entered(config, tmp_path / 'run')
    files, host = traced[PACKAGE], traced[HOST]
    listed = documented()
    assert files, 'the profiler saw no project file'
    assert files == listed, (
        f'entered but not in {DOC.name}: {sorted(files - listed)}; '
        f'listed but not entered: {sorted(listed - files)}')
    # The count the prose states, however the line wraps.
    text = ' '.join(DOC.read_text().split())
    assert f'**{len(files)} project files**' in text
    # The yardstick, measured in the same iteration: mmpretrain's own
    # classifier path (classifier, preprocessor, neck, head, loss).
    assert host, 'the profiler saw no mmpretrain file'
    assert f'**{len(host)} of its own files**' in text
