"""The configs of configs/slimmable_teacher: they build through the
registry, the stock ResNet34 checkpoint they start from loads and gives its
own logits at width 1.0, and they produce the checkpoint configs/pwkd
expects."""
import math
from pathlib import Path

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from mmpretrain.structures import DataSample

from mmpwkd.models.slimmable import SlimmableClassifier
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO

FOLDER = REPO / 'configs' / 'slimmable_teacher'
CONFIGS = sorted(path.name for path in FOLDER.glob('*.py'))
BASE = 'slimmable_resnet34_8xb32_in1k.py'
INPLACE = 'slimmable-inplace_resnet34_8xb32_in1k.py'
WIDTHS = (0.25, 0.5, 0.75, 1.0)


def _load(name: str) -> Config:
    return Config.fromfile(str(FOLDER / name))


@pytest.fixture(scope='module')
def stock_checkpoint(tmp_path_factory) -> Path:
    """A stock mmpretrain ResNet34 checkpoint with random weights and
    non-trivial BN statistics, as the config's ``load_from`` would give."""
    register_all_modules()
    model_cfg = _load(BASE).model.to_dict()
    model_cfg.pop('widths')
    model_cfg.update(type='ImageClassifier', _scope_='mmpretrain')
    stock = MMPRETRAIN_MODELS.build(model_cfg)
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in stock.state_dict().items():
            if name.endswith(('running_mean', 'bias')):
                tensor.uniform_(-0.2, 0.2, generator=generator)
            elif name.endswith('running_var'):
                tensor.uniform_(0.5, 2.0, generator=generator)
    path = tmp_path_factory.mktemp('ckpt') / 'resnet34.pth'
    torch.save(dict(state_dict=stock.state_dict(), meta=dict()), path)
    return path


def test_folder_holds_the_expected_configs():
    assert CONFIGS == sorted([BASE, INPLACE])


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_a_slimmable_resnet34(name):
    register_all_modules()
    cfg = _load(name)
    model = MODELS.build(cfg.model)
    assert isinstance(model, SlimmableClassifier)
    assert model.widths == WIDTHS
    assert model.inplace_distill == (name == INPLACE)
    assert model.backbone.layer4[0].conv1.channels_per_width == {
        0.25: 128,
        0.5: 256,
        0.75: 384,
        1.0: 512
    }
    metrics = [metric['type'] for metric in cfg.val_evaluator]
    assert metrics == ['Accuracy', 'PerWidthAccuracy']
    assert cfg.test_evaluator == cfg.val_evaluator


def test_schedule_is_the_documented_fine_tuning():
    cfg = _load(BASE)
    assert cfg.train_cfg.max_epochs == 10
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.train_dataloader.batch_size == 32
    assert cfg.auto_scale_lr.base_batch_size == 256
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end) == ('LinearLR', 0, 1)
    assert (cosine.type, cosine.begin, cosine.end) == ('CosineAnnealingLR',
                                                       1, 10)
    assert cosine.T_max == cosine.end - cosine.begin
    # Starts from the very checkpoint that the KD baseline's teacher uses.
    kd = Config.fromfile(
        str(REPO / 'configs' / 'kd' / 'kd_resnet34_resnet18_8xb32_in1k.py'))
    assert cfg.load_from == kd.model.teacher_ckpt


def test_inplace_variant_changes_only_the_training_targets():
    base, inplace = _load(BASE), _load(INPLACE)
    extra = {'inplace_distill', 'distill_temperature'}
    assert {k: v for k, v in inplace.model.items() if k not in extra} == \
        dict(base.model)
    for key in ('param_scheduler', 'optim_wrapper', 'train_cfg', 'load_from',
                'train_dataloader'):
        assert inplace[key] == base[key], key


def test_pwkd_reads_this_configs_last_checkpoint():
    pwkd = Config.fromfile(str(REPO / 'configs' / 'pwkd' / 'r34_r18_in1k.py'))
    path = Path(pwkd.model.teacher_ckpt)
    # tools/train.py names the work dir after the config file.
    assert path.parent == Path('work_dirs') / Path(BASE).stem
    assert path.name == f'epoch_{_load(BASE).train_cfg.max_epochs}.pth'
    assert pwkd.model.teacher.widths == _load(BASE).model.widths


@pytest.mark.parametrize('name', CONFIGS)
def test_stock_checkpoint_loads_and_every_width_trains(
        name, stock_checkpoint):
    register_all_modules()
    model = MODELS.build(_load(name).model)
    load_checkpoint(model, str(stock_checkpoint), map_location='cpu',
                    strict=True)
    state = torch.load(stock_checkpoint, weights_only=True)['state_dict']
    stock_bn = state['backbone.layer1.0.bn1.running_var']
    narrow_bn = model.backbone.layer1[0].bn1.narrow_bns['0_25']
    torch.testing.assert_close(narrow_bn.running_var, stock_bn[:16])

    inputs = torch.randn(2, 3, 32, 32)
    samples = [DataSample().set_gt_label(label) for label in (3, 7)]
    losses = model(inputs, samples, mode='loss')
    assert {k for k in losses if k.startswith('loss')} == {
        f'loss_w{width}'
        for width in WIDTHS
    }
    assert all(math.isfinite(value.item()) for value in losses.values())


def test_width_one_gives_the_stock_logits(stock_checkpoint):
    register_all_modules()
    cfg = _load(BASE).model.to_dict()
    model = MODELS.build(cfg).eval()
    load_checkpoint(model, str(stock_checkpoint), map_location='cpu')
    stock_cfg = dict(cfg, type='ImageClassifier', _scope_='mmpretrain')
    stock_cfg.pop('widths')
    stock = MMPRETRAIN_MODELS.build(stock_cfg).eval()
    load_checkpoint(stock, str(stock_checkpoint), map_location='cpu')
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            model(inputs), stock(inputs), rtol=0, atol=1e-5)


def test_metafile_and_readme_list_every_config():
    meta = yaml.safe_load((FOLDER / 'metafile.yml').read_text())
    collections = {collection['Name'] for collection in meta['Collections']}
    for model in meta['Models']:
        assert model['In Collection'] in collections, model['Name']
    listed = sorted(Path(model['Config']).name for model in meta['Models'])
    assert listed == CONFIGS
    readme = (FOLDER / 'README.md').read_text()
    for name in CONFIGS:
        assert f'({name})' in readme or f'(./{name})' in readme, name
