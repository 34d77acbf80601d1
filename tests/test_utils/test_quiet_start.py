"""A newcomer's first screen is ours: no pkg_resources deprecation from
mmengine's config loading, no registry warning for mmpretrain's batch
augments under our scope."""
import logging
import os
import subprocess
import sys

from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope

from conftest import REPO
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules


def test_loading_a_config_prints_no_pkg_resources_warning():
    code = ('import mmpwkd\n'
            'from mmengine.config import Config\n'
            "Config.fromfile('configs/benchmark/fmnist/"
            "kd_resnet20_resnet8_1xb128_fmnist-student.py')\n"
            "print('ours first')\n")
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop('PYTHONWARNINGS', None)
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert 'pkg_resources' not in proc.stderr, proc.stderr
    assert proc.stdout.startswith('ours first')


class _Records(logging.Handler):

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def test_mixup_and_cutmix_build_without_a_registry_warning():
    register_all_modules()
    init_default_scope('mmpwkd')
    logger = MMLogger.get_current_instance()
    records = _Records()
    logger.addHandler(records)
    try:
        preprocessor = MODELS.build(
            dict(type='BatchedClsDataPreprocessor', num_classes=10,
                 batch_augments=dict(augments=[
                     dict(type='Mixup', alpha=0.8),
                     dict(type='CutMix', alpha=1.0)])))
    finally:
        logger.removeHandler(records)
    assert [type(a).__name__ for a in preprocessor.batch_augments.augments
            ] == ['Mixup', 'CutMix']
    assert not [m for m in records.messages if 'registry' in m], \
        records.messages
