"""mmpretrain 1.2.0's tools/train.py without flags, for tests.

mmpretrain ships that script in its repository, not in its pip package, so
this copies what it does to a config when no flag is given: dataloaders
default to ``pin_memory=True``, ``persistent_workers=True`` and
``default_collate`` (the config's own values win), the work dir comes from
``--work-dir``, and ``Runner.from_cfg`` builds the run. Nothing of mmpwkd is
imported here: the config's ``custom_imports`` must do it.

Usage: python mmpretrain_train.py CONFIG WORK_DIR
"""
import sys
from copy import deepcopy

from mmengine.config import Config, ConfigDict
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

DEFAULT_DATALOADER_CFG = ConfigDict(
    pin_memory=True,
    persistent_workers=True,
    collate_fn=dict(type='default_collate'),
)


def main() -> None:
    config, work_dir = sys.argv[1:3]
    cfg = Config.fromfile(config)
    cfg.launcher = 'none'
    cfg.work_dir = work_dir
    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(field) is None:
            continue
        loader = deepcopy(DEFAULT_DATALOADER_CFG)
        loader.update(cfg[field])
        cfg[field] = loader
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else \
        Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
