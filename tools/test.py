"""Evaluate a checkpoint; slimmable models report every width.

The flags are mmpretrain 1.2.0's ``tools/test.py``'s, with the same
meaning: ``--out`` writes the predictions (``--out-item metrics`` the
metrics), ``--tta`` tests with test-time augmentation (the config's
``tta_model``/``tta_pipeline``, or flips averaged), ``--show-dir`` saves
the visualised predictions.
"""
import argparse
from copy import deepcopy

import mmengine
from mmengine.config import Config, ConfigDict
from mmengine.evaluator import DumpResults

from mmpwkd.utils.checkpoint_fit import check_checkpoint_fits
from mmpwkd.utils.cli import add_common_args, build_runner, existing_file
from mmpwkd.utils.dist import shutdown_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a checkpoint')
    parser.add_argument(
        'config', type=existing_file, help='test config file path')
    parser.add_argument(
        'checkpoint', type=existing_file, help='checkpoint file or URL')
    parser.add_argument('--out', help='the file to output results.')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='To output whether metrics or predictions. '
        'Defaults to output predictions.')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--show-dir',
        help='directory where the visualization images will be saved.')
    parser.add_argument(
        '--show',
        action='store_true',
        help='whether to display the prediction results in a window.')
    parser.add_argument(
        '--interval',
        type=int,
        default=1,
        help='visualize per interval samples.')
    parser.add_argument(
        '--wait-time',
        type=float,
        default=2,
        help='display time of every window. (second)')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation: the config\'s tta_model and '
        'tta_pipeline if it has them, else flips with averaged scores')
    add_common_args(parser)
    args = parser.parse_args()
    if args.out is None and args.out_item is not None:
        parser.error('--out-item needs --out, the file to write it to')
    return args


def _show(cfg: Config, args: argparse.Namespace) -> None:
    """Turn on mmpretrain's VisualizationHook as its test.py does."""
    hooks = cfg.get('default_hooks') or {}
    if 'visualization' not in hooks:
        raise SystemExit(
            'test.py: --show/--show-dir need default_hooks.visualization '
            "(dict(type='VisualizationHook')) in the config, which has "
            f'only {sorted(hooks)}')
    hooks['visualization'].update(
        enable=True,
        show=args.show,
        wait_time=args.wait_time,
        out_dir=args.show_dir,
        interval=args.interval)


def _tta(cfg: Config) -> None:
    """Wrap the model for test-time augmentation as mmpretrain's test.py
    does: the config's ``tta_model``/``tta_pipeline``, else horizontal
    flips whose scores are averaged."""
    if 'tta_model' not in cfg:
        cfg.tta_model = dict(type='mmpretrain.AverageClsScoreTTA')
    if 'tta_pipeline' not in cfg:
        test_pipeline = cfg.test_dataloader.dataset.pipeline
        cfg.tta_pipeline = deepcopy(test_pipeline)
        cfg.tta_pipeline[-1] = dict(
            type='TestTimeAug',
            transforms=[[
                dict(type='RandomFlip', prob=1.),
                dict(type='RandomFlip', prob=0.)
            ], [test_pipeline[-1]]])
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    cfg.load_from = args.checkpoint
    if args.amp:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.show or args.show_dir is not None:
        _show(cfg, args)
    if args.tta:
        _tta(cfg)
    runner = build_runner(cfg, args)
    # mmengine would score weights that do not fit with a warning only.
    check_checkpoint_fits(runner.model, args.checkpoint)
    if args.out and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    metrics = runner.test()
    shutdown_distributed()
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)


if __name__ == '__main__':
    main()
