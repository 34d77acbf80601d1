"""Parameters and FLOPs of every width of a slimmable classifier.

The sub-networks of a slimmable network (Yu et al., "Slimmable Neural
Networks", ICLR 2019) share the full-width weights: every layer keeps one
full-size ``nn.Parameter`` and slices it at run time. Counting the
parameters of the slimmable model therefore gives the full count (plus the
private BNs of every width) at every width. What a width costs is counted
instead on

- ``plain`` (backbones with width knobs, :data:`NARROWABLE_BACKBONES`): the
  ordinary mmpretrain classifier of that width from :func:`export_width`,
  i.e. the network one would deploy; mmengine's
  ``get_model_complexity_info`` counts its parameters and FLOPs;
- ``sliced`` (any other backbone, or ``--sliced``): the slimmable model at
  that width. FLOPs come from ``get_model_complexity_info`` (its trace sees
  the sliced weights); the *active* parameters are counted by forward hooks
  on the slimmable layers: the slice of each conv/linear weight and bias
  that the forward pass reads, and the affine parameters of the BN of that
  width. For the ResNet family both ways give the same numbers.

FLOPs are mmengine's count for one image: one multiply-add is one FLOP
(i.e. MACs, as in mmpretrain's model zoo), over convolutions and linear
layers; BN, pooling and additions are not counted. The classifier head is
included, so parameters match mmpretrain's model zoo (ResNet34: 21.8 M).

The input size comes from the config (:func:`config_input_shape`: the
last crop or resize of the test pipeline, else the native image size of
the data set), or from ``--shape`` as in mmpretrain's ``get_flops.py``; it
is printed with the table. Prints a table and writes ``complexity.json``
and ``complexity.md`` to the work dir (``--work-dir``, else the config's
``work_dir``, else ``work_dirs/<config name>``).

Example::

    python tools/analysis_tools/slimmable_complexity.py \\
        configs/slimmable_teacher/slimmable_resnet34_8xb32_in1k.py \\
        --shape 224 224
"""
import argparse
import json
import logging
import os.path as osp
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch
from mmengine.analysis import get_model_complexity_info
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.registry import init_default_scope
from torch import Tensor, nn

from mmpwkd.models.slimmable import (SlimmableConv2d, SlimmableLinear,
                                     SwitchableBatchNorm, export_width,
                                     has_narrow_config, slimmable_layers)
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Params and FLOPs of every width of a slimmable model')
    parser.add_argument('config', help='config of a SlimmableClassifier')
    parser.add_argument(
        '--shape',
        type=int,
        nargs='+',
        help='input height and width (one value: square); defaults to the '
        "config's test image size (its last crop or resize, else the data "
        "set's image size)")
    parser.add_argument(
        '--work-dir', help='where complexity.json and .md are written')
    parser.add_argument(
        '--sliced',
        action='store_true',
        help='count on the slimmable model even when a plain config of '
        'each width exists')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. model.widths="[0.5,1.0]"')
    return parser.parse_args(argv)


@contextmanager
def quiet_mmengine() -> Iterator[None]:
    """Mute the warnings that mmengine's FLOP counter logs for every op it
    does not count (BN, pooling, additions) and every unused narrow BN."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _used_params(layer: nn.Module, x: Tensor) -> int:
    """Parameters of ``layer`` that a forward pass on ``x`` reads."""
    out = layer.active_channels
    if isinstance(layer, SwitchableBatchNorm):
        return 2 * out if layer.affine else 0
    bias = out if layer.bias is not None else 0
    if isinstance(layer, SlimmableLinear):
        return out * x.shape[-1] + bias
    # Grouped convs keep their inputs per group (the weight's dim 1);
    # others read as many input channels as the tensor has.
    inputs = min(layer.weight.shape[1], x.shape[1])
    kernel = layer.weight.shape[2] * layer.weight.shape[3]
    return out * inputs * kernel + bias


def active_params(model: nn.Module, inputs: Tensor) -> int:
    """Parameters that the active width of a slimmable model uses.

    Args:
        model (nn.Module): A converted network, at the width to count.
        inputs (Tensor): An input batch; its forward pass is traced.

    Returns:
        int: The summed slices read by every slimmable layer (conversion
        leaves no parameters outside them).
    """
    counts: List[int] = []

    def count(layer: nn.Module, args: tuple, output: Tensor) -> None:
        counts.append(_used_params(layer, args[0]))

    handles = [
        layer.register_forward_hook(count)
        for layer in slimmable_layers(model).values()
    ]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for handle in handles:
            handle.remove()
    return sum(counts)


def width_complexity(model: nn.Module, model_cfg: dict, width: float,
                     inputs: Tensor, sliced: bool) -> Dict[str, object]:
    """Parameters and FLOPs of one width (see the module docstring).

    Args:
        model (SlimmableClassifier): The slimmable model, in eval mode.
        model_cfg (dict): Its config.
        width (float): One of ``model.widths``.
        inputs (Tensor): One image, (1, C, H, W).
        sliced (bool): Count on the slimmable model even if a plain
            config exists.

    Returns:
        dict: ``width``, ``params``, ``flops`` and ``counted_on``
        (``'plain'`` or ``'sliced'``).
    """
    if not sliced and has_narrow_config(model.backbone):
        plain_cfg, _ = export_width(model, model_cfg, width)
        plain = MODELS.build(plain_cfg).eval()
        info = get_model_complexity_info(
            plain, inputs=(inputs, ), show_table=False, show_arch=False)
        return dict(
            width=width,
            params=info['params'],
            flops=info['flops'],
            counted_on='plain')
    with model.width(width):
        info = get_model_complexity_info(
            model, inputs=(inputs, ), show_table=False, show_arch=False)
        params = active_params(model, inputs)
    return dict(
        width=width, params=params, flops=info['flops'], counted_on='sliced')


def _image_channels(model: nn.Module) -> int:
    """Input channels of the first convolution: those of the image."""
    for layer in slimmable_layers(model).values():
        if isinstance(layer, SlimmableConv2d):
            return layer.in_channels
    raise ValueError('slimmable_complexity: the model has no convolution '
                     'to read the image channels from')


def complexity_table(model: nn.Module, model_cfg: dict,
                     shape: Sequence[int],
                     sliced: bool = False) -> List[Dict[str, object]]:
    """One row per width, with ratios to width 1.0.

    Args:
        model (SlimmableClassifier): The slimmable model.
        model_cfg (dict): Its config.
        shape (Sequence[int]): Input (H, W).
        sliced (bool): Count on the slimmable model even if a plain config
            exists. Defaults to False.

    Returns:
        list[dict]: Rows of :func:`width_complexity` plus ``params_ratio``
        and ``flops_ratio``, ascending in width.
    """
    model.eval()
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randn(1, _image_channels(model), *shape,
                         generator=generator)
    with quiet_mmengine():
        rows = [
            width_complexity(model, model_cfg, width, inputs, sliced)
            for width in model.widths
        ]
    full = rows[-1]
    for row in rows:
        row['params_ratio'] = row['params'] / full['params']
        row['flops_ratio'] = row['flops'] / full['flops']
    return rows


def to_markdown(rows: Sequence[Dict[str, object]]) -> str:
    """The rows as a markdown table (params in M, FLOPs in G)."""
    lines = [
        '| Width | Params (M) | FLOPs (G) | Params / w1.0 | FLOPs / w1.0 '
        '| Counted on |', '| :-: | --: | --: | --: | --: | :-: |'
    ]
    for row in rows:
        lines.append(f"| {row['width']} | {row['params'] / 1e6:.3f} "
                     f"| {row['flops'] / 1e9:.3f} "
                     f"| {row['params_ratio']:.3f} "
                     f"| {row['flops_ratio']:.3f} | {row['counted_on']} |")
    return '\n'.join(lines) + '\n'


# Transforms of mmpretrain whose argument is the size they output.
SIZE_ARGS = {
    'CenterCrop': 'crop_size',
    'RandomCrop': 'crop_size',
    'RandomResizedCrop': 'scale',
    'Resize': 'scale',
}
# Native image sizes of the data sets whose pipelines need no resize.
DATASET_SIZES = {
    'CIFAR10': 32,
    'CIFAR100': 32,
    'MNIST': 28,
    'FashionMNIST': 28,
    'FashionMNISTIDX': 28,
}


def _hw(size: object) -> Optional[List[int]]:
    """(H, W) of an mmpretrain size argument: an int or (W, H)."""
    if isinstance(size, int):
        return [size, size]
    if isinstance(size, (list, tuple)) and len(size) == 2 and all(
            isinstance(side, int) and side > 0 for side in size):
        return [size[1], size[0]]
    return None


def config_input_shape(cfg: Config) -> Tuple[List[int], str]:
    """The (H, W) of the images a config tests on, and where it came from.

    Args:
        cfg (Config): The config.

    Returns:
        tuple[list[int], str]: The shape and the config key it was read
        from.

    Raises:
        ValueError: If neither the test pipeline nor the data set type
            tells, asking for ``--shape``.
    """
    for loader in ('test_dataloader', 'val_dataloader', 'train_dataloader'):
        dataset = (cfg.get(loader) or {}).get('dataset') or {}
        for index, step in reversed(
                list(enumerate(dataset.get('pipeline') or []))):
            kind = str(step.get('type', '')).split('.')[-1]
            shape = _hw(step.get(SIZE_ARGS.get(kind, ''), None))
            if shape is not None:
                return shape, (f'{loader}.dataset.pipeline[{index}] '
                               f'({kind})')
        kind = str(dataset.get('type', '')).split('.')[-1]
        if kind in DATASET_SIZES and loader == 'test_dataloader':
            size = DATASET_SIZES[kind]
            return [size, size], f'{loader}.dataset ({kind} images)'
    raise ValueError(
        'slimmable_complexity: the config does not tell the input size (no '
        'crop or resize in its pipelines, no data set of known image size); '
        'pass --shape H W')


def _shape(values: Sequence[int]) -> List[int]:
    if len(values) == 1:
        return [values[0], values[0]]
    if len(values) != 2 or min(values) < 1:
        raise ValueError('slimmable_complexity: --shape takes H W or one '
                         f'size, positive, got {list(values)}')
    return list(values)


def main(argv: Optional[Sequence[str]] = None) -> List[Dict[str, object]]:
    args = parse_args(argv)
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    if args.shape:
        shape, source = _shape(args.shape), '--shape'
    else:
        shape, source = config_input_shape(cfg)
    # The types of a config resolve in its own scope: without it our
    # backbones (CIFARResNet, ...) are looked up in mmpretrain's registry.
    init_default_scope(cfg.get('default_scope', 'mmpwkd'))
    model_cfg = cfg.model.to_dict()
    model = MODELS.build(cfg.model)
    rows = complexity_table(model, model_cfg, shape, args.sliced)

    work_dir = Path(args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs',
        osp.splitext(osp.basename(args.config))[0]))
    work_dir.mkdir(parents=True, exist_ok=True)
    table = to_markdown(rows)
    report = dict(config=args.config, input_shape=shape, widths=rows)
    (work_dir / 'complexity.json').write_text(json.dumps(report, indent=2))
    (work_dir / 'complexity.md').write_text(
        f'Input {shape[0]}x{shape[1]}, config `{args.config}`.\n\n{table}')
    print(f'Input shape: {shape[0]}x{shape[1]} (from {source})')
    print(table, end='')
    print(f'Written to {work_dir}/complexity.json and complexity.md')
    return rows


if __name__ == '__main__':
    main()
