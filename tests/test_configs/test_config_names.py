"""Every runnable config under configs/ has its own file name.

tools/train.py names the default work dir ``work_dirs/<config stem>``, so two
runnable configs with one name in different folders share a work dir: the
second run resumes or overwrites the first one's checkpoints. ``_base_``
fragments are never run, so their names may repeat.
"""
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

from conftest import REPO

CONFIGS = REPO / 'configs'


def runnable_configs(root: Path) -> List[Path]:
    """Every ``.py`` file under ``root`` outside ``_base_`` folders."""
    return sorted(
        path for path in root.rglob('*.py')
        if '_base_' not in path.relative_to(root).parts)


def name_clashes(root: Path) -> Dict[str, List[str]]:
    """File names shared by more than one runnable config under ``root``,
    each with its paths relative to ``root``'s parent."""
    by_name = defaultdict(list)
    for path in runnable_configs(root):
        by_name[path.name].append(str(path.relative_to(root.parent)))
    return {name: found for name, found in by_name.items() if len(found) > 1}


def test_runnable_configs_have_unique_file_names():
    clashes = name_clashes(CONFIGS)
    assert not clashes, 'configs that would share a work dir: ' + '; '.join(
        ' and '.join(found) for found in clashes.values())


def test_a_clash_is_reported_with_both_paths(tmp_path):
    root = tmp_path / 'configs'
    for folder in ('kd', 'pwkd', 'pwkd/_base_', '_base_', 'cifar100'):
        (root / folder).mkdir(parents=True)
        (root / folder / 'same.py').touch()
    (root / 'cifar100' / 'other.py').touch()
    assert name_clashes(root) == {
        'same.py': ['configs/cifar100/same.py', 'configs/kd/same.py',
                    'configs/pwkd/same.py']
    }
