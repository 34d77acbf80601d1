"""Export one width of a slimmable classifier as a plain mmpretrain model.

Writes ``OUT/config.py`` (the config with an ordinary ``ImageClassifier``)
and ``OUT/model.pth`` (``{'state_dict': ..., 'meta': ...}``), which stock
mmpretrain loads with ``strict=True``.
"""
import argparse
from pathlib import Path
from typing import List, Optional, Sequence, Union

import torch
from mmengine.config import Config, DictAction
from mmengine.runner import load_checkpoint

from mmpwkd import __version__
from mmpwkd.models.slimmable import export_width
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

EvaluatorCfg = Union[dict, List[dict], None]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export one width of a slimmable classifier')
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


def plain_evaluator(evaluator: EvaluatorCfg) -> EvaluatorCfg:
    """Drop ``PerWidthAccuracy``, which needs every width: the plain model
    has one. mmpretrain's ``Accuracy`` takes its place unless the config
    already has one (two would report the same metric names)."""
    metrics = list(evaluator) if isinstance(evaluator,
                                            (list, tuple)) else [evaluator]
    per_width = [
        metric for metric in metrics if isinstance(metric, dict)
        and metric.get('type') == 'PerWidthAccuracy'
    ]
    if not per_width:
        return evaluator
    kept = [metric for metric in metrics if metric not in per_width]
    if not any(
            isinstance(metric, dict) and metric.get('type') == 'Accuracy'
            for metric in kept):
        kept.append(
            dict(type='Accuracy', topk=per_width[0].get('topk', (1, ))))
    return kept if isinstance(evaluator, (list, tuple)) else kept[0]


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model)
    checkpoint = load_checkpoint(
        model, args.checkpoint, map_location='cpu', strict=True)
    plain_cfg, state_dict = export_width(model, cfg.model, args.width)

    cfg.model = plain_cfg
    for key in ('val_evaluator', 'test_evaluator'):
        if key in cfg:
            cfg[key] = plain_evaluator(cfg[key])
    meta = dict(
        width=args.width,
        source_config=args.config,
        source_checkpoint=args.checkpoint,
        mmpwkd_version=__version__)
    dataset_meta = checkpoint.get('meta', {}).get('dataset_meta')
    if dataset_meta is not None:
        meta['dataset_meta'] = dataset_meta

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg.dump(str(out / 'config.py'))
    torch.save(dict(state_dict=state_dict, meta=meta), out / 'model.pth')
    print(f'Exported width {args.width} to {out}/config.py and '
          f'{out}/model.pth')


if __name__ == '__main__':
    main()
