"""The ResNet34 -> ResNet18 configs of configs/kd and configs/pwkd: every one
builds and runs a loss step; the DKD and FitNet PWKD variants train through
all four stages on tiny synthetic data."""
import ast
import math
from pathlib import Path
from typing import Dict, List

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.runner import Runner
from mmpretrain.structures import DataSample

from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO
from helpers import tiny_pwkd_cfg

CONFIGS = sorted(
    str(path.relative_to(REPO))
    for folder in ('kd', 'pwkd')
    for path in (REPO / 'configs' / folder).glob('*.py'))
# (KD config, its PWKD version): configs/kd/X and configs/pwkd/Y.
VARIANTS = (
    ('kd_resnet34_resnet18_8xb32_in1k.py', 'r34_r18_in1k.py'),
    ('dkd_resnet34_resnet18_8xb32_in1k.py',
     'pwkd-dkd_resnet34_resnet18_8xb32_in1k.py'),
    ('fitnet-kd_resnet34_resnet18_8xb32_in1k.py',
     'pwkd-fitnet-kd_resnet34_resnet18_8xb32_in1k.py'),
)
# ResNets 8x narrower for training on CPU: 8 stem/base channels.
SHRINK = 8


def _load(config: str) -> Config:
    cfg = Config.fromfile(str(REPO / config))
    cfg.model.teacher_ckpt = None
    cfg.model.allow_untrained_teacher = True
    return cfg


def _shrink(model: Config, factor: int) -> None:
    """Divide every channel count of the students, teachers and connectors
    by ``factor``."""
    for side in ('student', 'teacher'):
        backbone = model[side].backbone
        backbone.stem_channels = backbone.get('stem_channels', 64) // factor
        backbone.base_channels = backbone.get('base_channels', 64) // factor
        model[side].head.in_channels //= factor
    for term in model.distill_losses.values():
        connector = term.get('connector')
        if connector is not None:
            connector.in_channels //= factor
            connector.out_channels //= factor


def tiny_cfg(config: str, data_root: Path, work_dir: Path) -> Config:
    """``config`` as :func:`helpers.tiny_pwkd_cfg` runs it on 8 images,
    ResNets :data:`SHRINK` times narrower, no checkpoints."""
    cfg = tiny_pwkd_cfg(str(REPO / config), data_root, work_dir, images=8)
    _shrink(cfg.model, SHRINK)
    cfg.default_hooks.checkpoint = None
    return cfg


@pytest.mark.parametrize('config', CONFIGS)
def test_config_builds_and_computes_its_losses(config):
    register_all_modules()
    cfg = _load(config)
    model = MODELS.build(cfg.model)
    # The narrowest width: 0.25 under PWKD, where connectors are sliced.
    model.set_teacher_width(model.teacher_widths[0])
    torch.manual_seed(0)
    inputs = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(label) for label in (3, 7)]
    losses = model(inputs, samples, mode='loss')

    expected = {f'distill.{name}' for name in cfg.model.distill_losses}
    assert {k for k in losses if k.startswith('distill.')} == expected
    assert all(math.isfinite(v.item()) for v in losses.values())


@pytest.mark.parametrize('kd_name,pwkd_name', VARIANTS)
def test_pwkd_differs_from_kd_only_in_schedule(kd_name, pwkd_name):
    kd = _load(f'configs/kd/{kd_name}')
    pwkd = _load(f'configs/pwkd/{pwkd_name}')
    for key in ('student', 'distill_losses', 'student_loss_weight'):
        assert pwkd.model[key] == kd.model[key], key
    assert [hook.type for hook in pwkd.custom_hooks] == ['PWKDStageHook']
    assert not kd.get('custom_hooks')
    assert pwkd.train_cfg.max_epochs == kd.train_cfg.max_epochs == 100
    # DKD replaces the inherited KD term; FitNet hints are added to it.
    losses = set(pwkd.model.distill_losses)
    assert ('loss_kd' in losses) == (not kd_name.startswith('dkd'))


@pytest.mark.parametrize('kd_name,pwkd_name', VARIANTS)
def test_pwkd_inherits_its_kd_config(kd_name, pwkd_name):
    """The losses are written once, in configs/kd: a PWKD config is its KD
    config plus the stages of configs/pwkd/_base_/pwkd_schedule.py."""
    text = (REPO / 'configs' / 'pwkd' / pwkd_name).read_text()
    bases = next(
        ast.literal_eval(node.value) for node in ast.parse(text).body
        if isinstance(node, ast.Assign)
        and getattr(node.targets[0], 'id', None) == '_base_')
    assert bases == [f'../kd/{kd_name}', '_base_/pwkd_schedule.py']
    assert 'distill_losses' not in text


@pytest.mark.parametrize('folder', ['kd', 'pwkd'])
def test_metafile_lists_every_config(folder):
    meta = yaml.safe_load((REPO / 'configs' / folder /
                           'metafile.yml').read_text())
    collections = {collection['Name'] for collection in meta['Collections']}
    for model in meta['Models']:
        assert model['In Collection'] in collections, model['Name']
    listed = sorted(model['Config'] for model in meta['Models'])
    assert listed == [c for c in CONFIGS if c.startswith(f'configs/{folder}/')]


def _record(runner: Runner, module: torch.nn.Module) -> List[tuple]:
    """(iteration, output channels) of ``module`` at each training run."""
    seen: List[tuple] = []

    def hook(module, inputs, output):
        if runner.model.training:
            seen.append((runner.iter, output.shape[1]))

    module.register_forward_hook(hook)
    return seen


def _clone(module: torch.nn.Module) -> Dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize('config', [
    'configs/pwkd/pwkd-dkd_resnet34_resnet18_8xb32_in1k.py',
    'configs/pwkd/pwkd-fitnet-kd_resnet34_resnet18_8xb32_in1k.py'
])
def test_pwkd_variant_trains_all_stages(config, tmp_path, image_folder):
    runner = Runner.from_cfg(tiny_cfg(config, image_folder, tmp_path))
    model = runner.model
    widths = [stage['width'] for stage in runner.cfg.custom_hooks[0].stages]
    full = 512 // SHRINK
    teacher_seen = _record(runner, model.teacher.backbone.layer4)
    connectors = {
        name: term.connector
        for name, term in model.distill_terms.items()
        if term.connector is not None
    }
    connector_seen = {
        name: _record(runner, connector)
        for name, connector in connectors.items()
    }
    teacher_before = _clone(model.teacher)
    connectors_before = {n: _clone(c) for n, c in connectors.items()}
    runner.train()

    expected = [(it, int(full * widths[it // 2])) for it in range(8)]
    assert teacher_seen == expected
    if 'fitnet' in config:
        assert set(connectors) == {'loss_fitnet_layer3',
                                   'loss_fitnet_layer4'}
        assert connector_seen['loss_fitnet_layer4'] == expected
        assert connector_seen['loss_fitnet_layer3'] == [
            (it, c // 2) for it, c in expected
        ]
    for name, before in connectors_before.items():
        weight = connectors[name].state_dict()['conv.weight']
        assert not torch.equal(before['conv.weight'], weight), name
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key
    for name in model.distill_terms:
        logged = runner.message_hub.get_scalar(f'train/distill.{name}')
        values = list(logged.data[0])
        assert len(values) == 8 and all(map(math.isfinite, values)), name
