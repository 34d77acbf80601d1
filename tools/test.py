"""Evaluate a checkpoint; slimmable models report every width."""
import argparse

import mmengine
from mmengine.config import Config

from mmpwkd.utils.checkpoint_fit import check_checkpoint_fits
from mmpwkd.utils.cli import add_common_args, build_runner, existing_file
from mmpwkd.utils.dist import shutdown_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument(
        'config', type=existing_file, help='test config file path')
    parser.add_argument(
        'checkpoint', type=existing_file, help='checkpoint file or URL')
    parser.add_argument('--out', help='dump the metrics to this json/yaml')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    runner = build_runner(cfg, args)
    # mmengine would score weights that do not fit with a warning only.
    check_checkpoint_fits(runner.model, args.checkpoint)
    metrics = runner.test()
    shutdown_distributed()
    if args.out:
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
