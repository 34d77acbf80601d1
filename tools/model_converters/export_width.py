"""Export one width of a slimmable classifier as a plain mmpretrain model.

Writes ``OUT/config.py`` (the config with an ordinary ``ImageClassifier``)
and ``OUT/model.pth`` (``{'state_dict': ..., 'meta': ...}``), which stock
mmpretrain loads with ``strict=True``: the types of our backbones are
scoped (``mmpwkd.CIFARResNet``), so ``mmpretrain.get_model``,
``init_model`` and ``ImageClassificationInferencer`` build the config too.
The config is a clean classifier config (no ``work_dir``, no distillation
hooks or stage schedules, see :func:`mmpwkd.utils.exported_config`). A
checkpoint that is empty, truncated, holds NaN/Inf or does not fit the
config is refused, naming the file and the tensors. Both files are written
atomically and never over the inputs.
"""
import argparse
import re
from pathlib import Path
from typing import Optional, Sequence

from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from torch import nn

from mmpwkd import __version__
from mmpwkd.models.slimmable import export_width
from mmpwkd.registry import MODELS
from mmpwkd.utils import (check_not_input, exported_config,
                          register_all_modules, save_config, save_weights)
from mmpwkd.utils.checkpoint_fit import (non_finite_keys, read_checkpoint,
                                         weights_of)

TOOL = 'export_width'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export one width of a slimmable classifier as a plain '
        'mmpretrain classifier. Backbones with width knobs export: the '
        'ResNet family, ResNeXt, MobileNetV2, and the CIFAR ResNets, VGGs '
        '(VGG8/VGG13) and MobileNetV2; CIFARWideResNet (WRN40-2, WRN16-2) '
        'cannot (its 16-channel stem and integer widen_factor have no '
        'narrower setting): its widths run only inside the slimmable '
        'model.')
    parser.add_argument('config', help='config of the slimmable classifier')
    parser.add_argument('checkpoint', help='its checkpoint')
    parser.add_argument(
        '--width', type=float, required=True, help='width to export')
    parser.add_argument(
        '--out', required=True, help='folder for config.py and model.pth')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.widths="[0.5,1.0]"')
    return parser.parse_args(argv)


def _load_weights(model: nn.Module, path: str) -> dict:
    """Load ``path`` into ``model`` strictly; return the checkpoint."""
    checkpoint = read_checkpoint(path)
    state = weights_of(checkpoint, f'checkpoint {path!r}')
    broken = non_finite_keys(state)
    if broken:
        raise ValueError(
            f'checkpoint {path!r} holds NaN or Inf in {len(broken)} tensors, '
            f'e.g. {broken[:5]}: a run trained into a non-finite loss; '
            'export an earlier checkpoint of that run')
    state = {re.sub(r'^module\.', '', key): value
             for key, value in state.items()}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise ValueError(f'checkpoint {path!r} does not fit the config\'s '
                         f'model: {error}') from error
    return checkpoint


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    out = Path(args.out)
    for name in ('config.py', 'model.pth'):
        check_not_input(
            TOOL, out / name, config=args.config, checkpoint=args.checkpoint)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    # The types of a config resolve in its own scope: without it our
    # backbones (CIFARResNet, ...) are looked up in mmpretrain's registry.
    init_default_scope(cfg.get('default_scope', 'mmpwkd'))
    model = MODELS.build(cfg.model)
    try:
        checkpoint = _load_weights(model, args.checkpoint)
        plain_cfg, state_dict = export_width(model, cfg.model, args.width)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f'{TOOL}: {error}') from error

    meta = dict(
        width=args.width,
        source_config=args.config,
        source_checkpoint=args.checkpoint,
        mmpwkd_version=__version__)
    dataset_meta = (checkpoint.get('meta') or {}).get('dataset_meta')
    if dataset_meta is not None:
        meta['dataset_meta'] = dataset_meta

    save_config(exported_config(cfg, plain_cfg), out / 'config.py')
    save_weights(dict(state_dict=state_dict, meta=meta), out / 'model.pth')
    print(f'Exported width {args.width} to {out}/config.py and '
          f'{out}/model.pth')


if __name__ == '__main__':
    main()
