"""tools/model_converters/export_width.py: a slimmable checkpoint in, a plain
mmpretrain config and checkpoint out."""
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO, load_tool

TOOL = 'tools/model_converters/export_width.py'

CONFIG = """
model = dict(
    type='SlimmableClassifier',
    widths=(0.5, 1.0),
    backbone=dict(
        type='ResNet_CIFAR', depth=18, stem_channels=8, base_channels=8,
        num_stages=2, strides=(1, 2), dilations=(1, 1), out_indices=(1, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=4, in_channels=16))
val_evaluator = [dict(type='PerWidthAccuracy', topk=(1, 2))]
test_evaluator = [
    dict(type='Accuracy', topk=(1, )),
    dict(type='PerWidthAccuracy', topk=(1, )),
]
"""


def test_export_width_tool(tmp_path: Path):
    import mmpwkd.models.slimmable  # noqa: F401
    register_all_modules()
    config = tmp_path / 'slimmable.py'
    config.write_text(CONFIG)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    with torch.no_grad():
        for norm in model.backbone.bn1.narrow_bns.values():
            norm.running_mean.uniform_(-1, 1)
    checkpoint = tmp_path / 'slimmable.pth'
    classes = ('a', 'b', 'c', 'd')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=classes))), checkpoint)

    out = tmp_path / 'w0.5'
    load_tool(TOOL).main([
        str(config),
        str(checkpoint), '--width', '0.5', '--out',
        str(out)
    ])

    plain_cfg = Config.fromfile(out / 'config.py')
    assert plain_cfg.model.type == 'ImageClassifier'
    assert plain_cfg.val_evaluator == [dict(type='Accuracy', topk=(1, 2))]
    assert plain_cfg.test_evaluator == [dict(type='Accuracy', topk=(1, ))]
    exported = torch.load(out / 'model.pth', weights_only=True)
    assert exported['meta']['width'] == 0.5
    assert tuple(exported['meta']['dataset_meta']['classes']) == classes
    plain = MMPRETRAIN_MODELS.build(plain_cfg.model)
    plain.load_state_dict(exported['state_dict'], strict=True)
    plain.eval()
    model.eval()
    inputs = torch.randn(2, 3, 16, 16)
    with torch.no_grad(), model.width(0.5):
        torch.testing.assert_close(plain(inputs), model(inputs))


def _slimmable_checkpoint(tmp_path: Path, extra: str = ''):
    register_all_modules()
    config = tmp_path / 'slimmable.py'
    config.write_text(CONFIG + extra)
    model = MODELS.build(Config.fromfile(config).model)
    return config, model


def test_export_is_a_clean_classifier_config(tmp_path: Path):
    """No work_dir, no distillation hooks, no stage schedule."""
    stages = "[dict(width=0.5, epochs=1), dict(width=1.0, epochs=1)]"
    config, model = _slimmable_checkpoint(
        tmp_path, f"work_dir = '{tmp_path / 'run'}'\n"
        'train_cfg = dict(by_epoch=True, max_epochs=2)\n'
        f"param_scheduler = dict(type='StageCosineLR', stages={stages})\n"
        f"custom_hooks = [dict(type='PWKDStageHook', stages={stages}),\n"
        "                dict(type='EMAHook')]\nhelper_variable = 3\n")
    checkpoint = tmp_path / 'slimmable.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    out = tmp_path / 'w0.5'
    load_tool(TOOL).main([str(config), str(checkpoint), '--width', '0.5',
                          '--out', str(out)])
    plain_cfg = Config.fromfile(out / 'config.py')
    assert 'work_dir' not in plain_cfg
    assert 'helper_variable' not in plain_cfg
    assert plain_cfg.custom_hooks == [dict(type='EMAHook')]
    assert plain_cfg.param_scheduler == dict(
        type='CosineAnnealingLR', T_max=2, by_epoch=True,
        convert_to_iter_based=True)
    assert (plain_cfg.load_from, plain_cfg.resume) == (None, False)


def test_broken_checkpoints_are_named(tmp_path: Path):
    config, model = _slimmable_checkpoint(tmp_path)
    good = tmp_path / 'good.pth'
    torch.save(dict(state_dict=model.state_dict()), good)
    empty = tmp_path / 'empty.pth'
    empty.write_bytes(b'')
    truncated = tmp_path / 'truncated.pth'
    truncated.write_bytes(good.read_bytes()[:1000])
    state = model.state_dict()
    state['head.fc.weight'] = state['head.fc.weight'] * float('inf')
    non_finite = tmp_path / 'inf.pth'
    torch.save(dict(state_dict=state), non_finite)
    expected = {
        empty: f"checkpoint '{empty}' is empty \\(0 bytes\\)",
        truncated: f"checkpoint '{truncated}' cannot be loaded with "
        'weights_only=True \\(1000 bytes: a truncated or corrupt file',
        non_finite: f"checkpoint '{non_finite}' holds NaN or Inf in 1 "
        "tensors, e.g. \\['head.fc.weight'\\]",
    }
    for path, message in expected.items():
        out = tmp_path / f'out_{path.stem}'
        with pytest.raises(SystemExit, match=f'^export_width: {message}'):
            load_tool(TOOL).main([str(config), str(path), '--width', '0.5',
                                  '--out', str(out)])
        assert not out.exists()


def test_cifar_vgg13_exports_and_wrn_says_why_not(tmp_path: Path):
    """The CIFAR-100 VGG13 teacher narrows its arch channel lists; WRN40-2
    has no width knob and is refused, naming the backbones that export."""
    register_all_modules()
    configs = REPO / 'configs' / 'cifar100'
    config = configs / 'slimmable_vgg13_1xb64_cifar100.py'
    model = MODELS.build(Config.fromfile(config).model).eval()
    checkpoint = tmp_path / 'vgg13.pth'
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    out = tmp_path / 'w0.5'
    load_tool(TOOL).main([str(config), str(checkpoint), '--width', '0.5',
                          '--out', str(out)])
    plain_cfg = Config.fromfile(out / 'config.py')
    assert plain_cfg.model.backbone.arch == [[32, 32], [64, 64], [128, 128],
                                             [256, 256], [256, 256]]
    plain = MMPRETRAIN_MODELS.build(plain_cfg.model).eval()
    plain.load_state_dict(
        torch.load(out / 'model.pth', weights_only=True)['state_dict'],
        strict=True)
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad(), model.width(0.5):
        expected = model(inputs)
        torch.testing.assert_close(plain(inputs), expected)
    assert expected.abs().max() > 0

    config = configs / 'slimmable_wrn40-2_1xb64_cifar100.py'
    model = MODELS.build(Config.fromfile(config).model)
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    with pytest.raises(SystemExit,
                       match='CIFARWideResNet has no plain config.*CIFARVGG'):
        load_tool(TOOL).main([str(config), str(checkpoint), '--width', '0.5',
                              '--out', str(tmp_path / 'wrn')])
