"""The run-safety layer is one package, switched on in one config fragment
and nowhere else, and on in every config."""
import re

from mmengine.config import Config
from mmpretrain.engine.hooks import ClassNumCheckHook

import mmpwkd.safety.hooks
from mmpwkd.registry import HOOKS
from mmpwkd.utils import register_all_modules

from conftest import REPO

FRAGMENT = REPO / 'configs' / '_base_' / 'safety.py'
SAFETY_HOOKS = dict(
    rng_state='RNGStateHook',
    run_fingerprint='RunFingerprintHook',
    non_finite_loss='NonFiniteLossHook',
    input_channels='InputChannelsHook',
    num_classes='NumClassesHook',
    checkpoint='AtomicCheckpointHook')


def test_the_fragment_switches_on_every_hook_of_the_package():
    register_all_modules()
    hooks = Config.fromfile(FRAGMENT).default_hooks
    for key, name in SAFETY_HOOKS.items():
        hook = HOOKS.build(hooks[key])
        assert type(hook) is getattr(mmpwkd.safety.hooks, name)
    assert hooks.checkpoint.backend_args == dict(backend='atomic_local')


def test_import_mmpwkd_stays_light():
    """Every tool imports mmpwkd first (safe loading); that must not import
    mmpretrain's models, whose import prints warnings before a tool's own
    first line."""
    import subprocess
    import sys
    code = ('import sys, mmpwkd; '
            'print(sorted(m for m in sys.modules if m.startswith('
            '("mmpretrain.models", "mmpwkd.safety.hooks"))))')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True,
                          text=True, cwd=REPO, check=True)
    assert proc.stdout.strip() == '[]'


def test_no_other_config_or_tool_switches_them_on():
    mentions = {
        str(path.relative_to(REPO))
        for folder in ('configs', 'tools') for path in
        (REPO / folder).rglob('*.py')
        if re.search('|'.join(SAFETY_HOOKS.values()), path.read_text())
    }
    assert mentions == {'configs/_base_/safety.py'}


def _one_leaf_per_folder() -> list:
    leaves = {}
    for path in sorted((REPO / 'configs').rglob('*.py')):
        if '_base_' not in path.parts:
            leaves.setdefault(path.parent, path)
    return sorted(leaves.values())


def test_every_config_inherits_the_layer():
    """The runtime every config inherits, and a leaf of every folder."""
    paths = [REPO / 'configs' / '_base_' / 'default_runtime.py',
             *_one_leaf_per_folder()]
    assert len(paths) > 5
    for path in paths:
        hooks = Config.fromfile(path).default_hooks
        assert {key: hooks[key].type.split('.')[-1]
                for key in SAFETY_HOOKS} == SAFETY_HOOKS, path


def test_num_classes_hook_extends_mmpretrains_check():
    assert isinstance(HOOKS.build(dict(type='NumClassesHook')),
                      ClassNumCheckHook)
