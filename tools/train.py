"""Train a model (slimmable teacher, PWKD or KD student) from a config.

The config's hooks are the run's hooks: the run-safety layer comes from
``configs/_base_/safety.py``; this tool adds a hook only for a flag that says
so in its help (``--channels-last``), and the config it dumps into the work
dir records every change its flags made.
"""
import argparse

from mmengine.config import Config

from mmpwkd.utils.cli import (add_common_args, build_runner,
                              empty_datasets_named, existing_file)
from mmpwkd.utils.dist import shutdown_distributed


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument(
        'config', type=existing_file, help='train config file path')
    parser.add_argument(
        '--resume',
        nargs='?',
        # argparse passes the const 'auto' through the type too.
        type=lambda value: value if value == 'auto' else existing_file(value),
        const='auto',
        help='resume from this checkpoint, or, with no path, from the '
        'latest checkpoint in the work dir')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='automatic mixed precision: float16 with loss scaling (GPU), '
        'or bfloat16 without (GPU or CPU) with --cfg-options '
        'optim_wrapper.dtype=bfloat16 (sets optim_wrapper.type='
        'MixedPrecisionOptimWrapper, loss_scale=dynamic)')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='train in the channels-last memory format (faster '
        'convolutions with --amp on tensor-core GPUs; adds ChannelsLastHook '
        'to custom_hooks and sets model_wrapper_cfg.channels_last=True)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the LR by the actual over the base batch size')
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    if args.amp:
        # mmengine's AmpOptimWrapper for float16; for bfloat16 the same
        # without its GradScaler, whose per-step inf check syncs the host.
        # It refuses float16 without a GPU when it is built, after
        # --cfg-options (which may set the dtype) are applied.
        cfg.optim_wrapper.type = 'MixedPrecisionOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.channels_last:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                            dict(type='ChannelsLastHook')]
        cfg.model_wrapper_cfg = dict(
            cfg.get('model_wrapper_cfg') or {}, channels_last=True)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    if args.auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr') or {}, enable=True)
    with empty_datasets_named(cfg):
        build_runner(cfg, args).train()
    shutdown_distributed()


if __name__ == '__main__':
    main()
