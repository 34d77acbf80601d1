"""tools/analysis_tools/slimmable_complexity.py: params and FLOPs per width,
equal to those of the plain narrow networks."""
import json
from pathlib import Path

import pytest
import torch
from mmengine.analysis import get_model_complexity_info
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from torch import nn

from mmpwkd.models.slimmable import convert_to_slimmable
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO, load_tool
from helpers import resnet_classifier

TOOL = 'tools/analysis_tools/slimmable_complexity.py'
WIDTHS = (0.25, 0.5, 0.75, 1.0)
NUM_CLASSES = 10


def _resnet(base: int, slimmable: bool) -> dict:
    """ResNet-18 with ``base`` stem/base channels, GAP, linear head."""
    return resnet_classifier(18, base, NUM_CLASSES, slimmable)


@pytest.fixture(scope='module')
def tool():
    register_all_modules()
    return load_tool(TOOL)


def _plain_counts(base: int) -> tuple:
    """Params and FLOPs of a stock mmpretrain network, built directly."""
    plain = MMPRETRAIN_MODELS.build(_resnet(base, slimmable=False)).eval()
    info = get_model_complexity_info(
        plain, input_shape=(3, 32, 32), show_table=False, show_arch=False)
    return info['params'], info['flops']


def test_tool_writes_the_counts_of_the_plain_networks(tool, tmp_path: Path):
    config = tmp_path / 'slimmable_tiny.py'
    config.write_text(f'model = {_resnet(32, slimmable=True)!r}\n')
    work_dir = tmp_path / 'work'
    tool.main([str(config), '--shape', '32', '--work-dir', str(work_dir)])

    report = json.loads((work_dir / 'complexity.json').read_text())
    assert report['input_shape'] == [32, 32]
    rows = report['widths']
    assert [row['width'] for row in rows] == list(WIDTHS)
    assert {row['counted_on'] for row in rows} == {'plain'}
    for row in rows:
        # The narrow ResNet-18 of width w has int(32 * w) base channels.
        expected = _plain_counts(int(32 * row['width']))
        assert (row['params'], row['flops']) == expected, row['width']
    for key in ('params', 'flops'):
        values = [row[key] for row in rows]
        assert values == sorted(set(values)), key
        # Convs scale with w ** 2; the image conv and the head with w, so
        # width 0.5 costs a bit more than 0.25 of width 1.0.
        assert 0.25 <= rows[1][f'{key}_ratio'] <= 0.3, key
        assert rows[-1][f'{key}_ratio'] == 1.0
    table = (work_dir / 'complexity.md').read_text()
    assert table.count('| plain |') == len(WIDTHS)


def test_sliced_counts_equal_plain_counts(tool):
    cfg = dict(_resnet(8, slimmable=True), widths=(0.25, 1.0))
    model = MODELS.build(dict(cfg))
    plain = tool.complexity_table(model, cfg, (32, 32))
    sliced = tool.complexity_table(model, cfg, (32, 32), sliced=True)
    assert {row['counted_on'] for row in sliced} == {'sliced'}
    for plain_row, sliced_row in zip(plain, sliced):
        for key in ('width', 'params', 'flops'):
            assert plain_row[key] == sliced_row[key], (key, plain_row)
    # The full-size parameters of the slimmable model are many more.
    shared = sum(param.numel() for param in model.parameters())
    assert sliced[0]['params'] < shared / 10


def test_backbone_without_plain_config_is_counted_sliced(tool):
    cfg = dict(
        type='SlimmableClassifier',
        backbone=dict(type='CIFARWideResNet', depth=10, widen_factor=2),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead', num_classes=NUM_CLASSES, in_channels=128))
    rows = tool.complexity_table(MODELS.build(dict(cfg)), cfg, (16, 16))
    assert {row['counted_on'] for row in rows} == {'sliced'}
    stock = MMPRETRAIN_MODELS.build(dict(cfg, type='ImageClassifier'))
    assert rows[-1]['params'] == sum(p.numel() for p in stock.parameters())
    params = [row['params'] for row in rows]
    assert params == sorted(set(params))


def test_active_params_slice_grouped_convs_and_private_bns(tool):
    """Against the plain half-width network, layer by layer."""
    full = nn.Sequential(
        nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8),
        nn.Conv2d(8, 8, 3, groups=8), nn.Conv2d(8, 16, 1, groups=2),
        nn.Flatten(), nn.Linear(16, 5))
    slimmable = convert_to_slimmable(
        full, (0.5, 1.0), fixed_output=('5', ))
    half = nn.Sequential(
        nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4),
        nn.Conv2d(4, 4, 3, groups=4), nn.Conv2d(4, 8, 1, groups=1),
        nn.Flatten(), nn.Linear(8, 5))
    inputs = torch.randn(1, 3, 5, 5)
    for layer in slimmable.modules():
        if hasattr(layer, 'set_width'):
            layer.set_width(0.5)
    expected = sum(param.numel() for param in half.parameters())
    assert tool.active_params(slimmable, inputs) == expected


def test_input_shape_comes_from_the_config(tool, tmp_path: Path, capsys):
    """CIFAR resnet56 counts 32x32 images (126.8 MFLOPs, as its metafile
    says), not 224x224 (6.2 GFLOPs); the size is printed."""
    config = str(REPO / 'configs' / 'cifar100' /
                 'slimmable_resnet56_1xb64_cifar100.py')
    rows = tool.main([config, '--work-dir', str(tmp_path)])
    assert rows[-1]['flops'] == pytest.approx(126.8e6, rel=2e-3)
    report = json.loads((tmp_path / 'complexity.json').read_text())
    assert report['input_shape'] == [32, 32]
    assert ('Input shape: 32x32 (from test_dataloader.dataset (CIFAR100 '
            'images))') in capsys.readouterr().out


@pytest.mark.parametrize('config, shape, source', [
    ('configs/slimmable_teacher/slimmable_resnet34_8xb32_in1k.py', [224, 224],
     'test_dataloader.dataset.pipeline[2] (CenterCrop)'),
    ('configs/benchmark/fmnist/slimmable-resnet20_1xb128_fmnist-teacher.py',
     [28, 28], 'test_dataloader.dataset (FashionMNISTIDX images)'),
])
def test_config_input_shape(tool, config, shape, source):
    from mmengine.config import Config
    assert tool.config_input_shape(Config.fromfile(REPO / config)) == (
        shape, source)


def test_a_config_without_a_size_asks_for_shape(tool, tmp_path: Path):
    config = tmp_path / 'slimmable_tiny.py'
    config.write_text(f'model = {_resnet(8, slimmable=True)!r}\n')
    with pytest.raises(ValueError, match='pass --shape H W'):
        tool.main([str(config), '--work-dir', str(tmp_path)])
