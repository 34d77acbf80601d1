"""How much do the partial teachers differ from the whole teacher?

A staged teacher can only teach something the whole teacher does not if
its partial teachers disagree with it. For a slimmable teacher checkpoint
(and, optionally, checkpoints from earlier in the teacher's training),
this prints and writes, per checkpoint and width, on a data split of your
choice:

- ``top1``: accuracy against the labels;
- ``agree``: top-1 agreement with the whole teacher (the reference
  checkpoint at its widest width), in percent;
- ``kl``: the mean KL divergence KL(whole || partial) between the
  temperature-softened class distributions at ``--tau`` (nats per image,
  without KD's tau^2 factor).

Partial teachers whose ``agree`` is near 100 and ``kl`` near 0 say what the
whole teacher says, so stages built on them can change the learning-rate
schedule but not what is taught.

Example::

    python tools/analysis_tools/teacher_diversity.py \\
        configs/benchmark/fmnist/slimmable-resnet20_1xb128_fmnist-teacher.py \\
        checkpoints/slimmable-resnet20_1xb128_fmnist-teacher.pth \\
        --split val --tau 4 --out diversity.json
"""
import argparse
import json
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner, load_checkpoint
from torch import Tensor, nn

from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

SPLITS = ('val', 'test', 'train')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Accuracy, agreement and KL of every width of a '
        'slimmable teacher against its whole network')
    parser.add_argument('config', help="the slimmable teacher's config")
    parser.add_argument(
        'checkpoint', help='the trained teacher: its widest width is the '
        'whole teacher every row is compared with')
    parser.add_argument(
        '--checkpoints', nargs='+', default=[], metavar='CKPT',
        help="more checkpoints of the same teacher (e.g. from its "
        "training), each compared with the whole teacher")
    parser.add_argument(
        '--split', choices=SPLITS, default='val',
        help="the config's dataloader to score on (train uses the test "
        "pipeline, no augmentation); default val")
    parser.add_argument('--tau', type=float, default=4.0,
                        help='softmax temperature of the KL; default 4')
    parser.add_argument('--out', help='write the rows to this JSON file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings, e.g. '
        'val_dataloader.dataset.part=student')
    args = parser.parse_args(argv)
    if not args.tau > 0:
        parser.error(f'--tau must be > 0, got {args.tau}')
    return args


def build_teacher(cfg: Config) -> nn.Module:
    """The slimmable teacher of ``cfg`` (its ``model``), in eval mode,
    with the config's top-level data preprocessor as the Runner gives it."""
    model_cfg = cfg.model.copy()
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    if not hasattr(model, 'set_width'):
        raise ValueError(
            f'{cfg.filename}: model must be a slimmable classifier '
            f"(type='SlimmableClassifier', the teacher's own config), got "
            f"type={cfg.model.get('type')!r}.")
    return model.eval()


def split_loader(cfg: Config, split: str):
    """The dataloader of ``split``; ``train`` gets the test pipeline."""
    loader = cfg.get(f'{split}_dataloader')
    if loader is None:
        raise ValueError(f'{cfg.filename}: no {split}_dataloader to score '
                         f'on; choose another --split.')
    if split == 'train':
        loader = loader.copy()
        loader.dataset = dict(
            loader.dataset, pipeline=cfg.test_dataloader.dataset.pipeline)
        loader.sampler = dict(type='DefaultSampler', shuffle=False)
    return Runner.build_dataloader(loader, seed=0)


@torch.no_grad()
def width_logits(model: nn.Module,
                 loader) -> Tuple[Dict[float, Tensor], Tensor]:
    """Logits of every width over the whole loader, and the labels."""
    logits: Dict[float, List[Tensor]] = {w: [] for w in model.widths}
    labels = []
    for batch in loader:
        data = model.data_preprocessor(batch, False)
        labels.append(torch.cat(
            [s.gt_label for s in data['data_samples']]))
        for width in model.widths:
            with model.width(width):
                logits[width].append(model(data['inputs'], mode='tensor'))
    return {w: torch.cat(x) for w, x in logits.items()}, torch.cat(labels)


def compare(logits: Tensor, whole: Tensor, labels: Tensor,
            tau: float) -> Dict[str, float]:
    """Top-1, agreement with ``whole`` and KL(whole || logits) at tau."""
    kl = F.kl_div(
        F.log_softmax(logits / tau, dim=1),
        F.log_softmax(whole / tau, dim=1),
        reduction='none',
        log_target=True).sum(dim=1)
    return dict(
        top1=100.0 * (logits.argmax(1) == labels).float().mean().item(),
        agree=100.0 * (logits.argmax(1) == whole.argmax(1)).float().mean()
        .item(),
        kl=kl.mean().item())


def rows(model: nn.Module, loader, reference: str,
         others: Sequence[str], tau: float) -> Iterator[dict]:
    """One row per checkpoint and width, the reference checkpoint first."""
    load_checkpoint(model, reference, map_location='cpu', strict=True,
                    logger='silent')
    logits, labels = width_logits(model, loader)
    whole = logits[max(model.widths)]
    for checkpoint in (reference, *others):
        if checkpoint != reference:
            load_checkpoint(model, checkpoint, map_location='cpu',
                            strict=True, logger='silent')
            logits, _ = width_logits(model, loader)
        for width, scores in logits.items():
            yield dict(checkpoint=checkpoint, width=width,
                       **compare(scores, whole, labels, tau))


def table(results: List[dict]) -> str:
    lines = ['| checkpoint | width | top1 | agree | kl |',
             '|---|---|---|---|---|']
    lines += [f"| {Path(r['checkpoint']).name} | {r['width']:g} | "
              f"{r['top1']:.2f} | {r['agree']:.2f} | {r['kl']:.4f} |"
              for r in results]
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> List[dict]:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    init_default_scope(cfg.get('default_scope', 'mmpwkd'))
    model = build_teacher(cfg)
    loader = split_loader(cfg, args.split)
    print(f'Scoring {1 + len(args.checkpoints)} checkpoint(s) x '
          f'{len(model.widths)} widths on {len(loader.dataset)} images of '
          f'the {args.split} split (tau {args.tau:g})', flush=True)
    results = []
    for row in rows(model, loader, args.checkpoint, args.checkpoints,
                    args.tau):
        results.append(row)
        print(f"  {Path(row['checkpoint']).name} width {row['width']:g}: "
              f"top1 {row['top1']:.2f}, agree {row['agree']:.2f}, "
              f"kl {row['kl']:.4f}", flush=True)
    print(table(results))
    if args.out:
        Path(args.out).write_text(json.dumps(
            dict(config=args.config, split=args.split, tau=args.tau,
                 rows=results), indent=1))
    return results


if __name__ == '__main__':
    main()
