"""The CIFAR-100 zoo of configs/cifar100: every config builds, the configs of
a pair agree on its networks and on the checkpoints that
tools/benchmark/cifar100.sh chains, checkpoints load where the next step
reads them, and every distillation config trains on a tiny data set
written in mmpretrain's CIFAR-100 file format."""
import ast
import copy
import functools
import json
import math
import os
import pickle
import runpy
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple
from unittest.mock import patch

import numpy as np
import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.runner import Runner, load_checkpoint
from mmpretrain.datasets import CIFAR100

from mmpwkd.models.distillers.teacher_loading import load_teacher_checkpoint
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

from conftest import REPO

FOLDER = REPO / 'configs' / 'cifar100'
CONFIGS = sorted(path.name for path in FOLDER.glob('*.py'))
SUFFIX = '1xb64_cifar100.py'
METHODS = ('kd', 'dkd', 'pwkd-kd', 'pwkd-dkd')
PAIRS = (('resnet56', 'resnet20'), ('resnet110', 'resnet32'),
         ('resnet32x4', 'resnet8x4'), ('wrn40-2', 'wrn16-2'),
         ('wrn40-2', 'wrn40-1'), ('vgg13', 'vgg8'),
         ('resnet32x4', 'shufflenet-v1'), ('resnet32x4', 'shufflenet-v2'),
         ('vgg13', 'mobilenet-v2'))
TEACHERS = sorted({teacher for teacher, _ in PAIRS})
DISTILL_CONFIGS = [
    f'{method}_{teacher}_{student}_{SUFFIX}' for teacher, student in PAIRS
    for method in METHODS
]
# mdistiller's configs/cifar100/dkd/*.yaml; the others use its default, 8.
DKD_BETA = {
    ('resnet56', 'resnet20'): 2,
    ('resnet110', 'resnet32'): 2,
    ('wrn40-2', 'wrn16-2'): 6,
    ('wrn40-2', 'wrn40-1'): 6,
    ('vgg13', 'vgg8'): 6,
    ('vgg13', 'mobilenet-v2'): 6,
}
# The config each derived method inherits the pair's networks from, and the
# _base_ fragment it adds.
DERIVED = {
    'dkd': ('kd', '_base_/dkd_loss.py'),
    'pwkd-kd': ('kd', '_base_/pwkd_schedule.py'),
    'pwkd-dkd': ('dkd', '_base_/pwkd_schedule.py'),
}
LOW_LR_STUDENTS = ('shufflenet-v1', 'shufflenet-v2', 'mobilenet-v2')
WIDTHS = (0.25, 0.5, 0.75, 1.0)


@functools.lru_cache(maxsize=None)
def _parse(name: str) -> Config:
    return Config.fromfile(str(FOLDER / name))


def _load(name: str) -> Config:
    """A copy of the config, which the caller may change: parsing one takes
    about 0.25 s, and the tests read each several times."""
    return copy.deepcopy(_parse(name))


def _pair(name: str) -> Tuple[str, str]:
    """Teacher and student of a distillation config."""
    _, teacher, student = name.split('_')[:3]
    return teacher, student


def _producer(name: str) -> str:
    """The config whose last checkpoint a config starts from."""
    teacher, _ = _pair(name)
    if name.startswith('pwkd'):
        return f'slimmable_{teacher}_{SUFFIX}'
    return f'{teacher}_{SUFFIX}'


def _last_checkpoint(name: str) -> str:
    """Where tools/benchmark/cifar100.sh leaves the last checkpoint of
    ``name``: work_dirs/cifar100/<config name>/epoch_<max_epochs>.pth."""
    epochs = _load(name).train_cfg.max_epochs
    return f'work_dirs/cifar100/{Path(name).stem}/epoch_{epochs}.pth'


def test_zoo_holds_every_pair_method_and_network():
    networks = sorted({net for pair in PAIRS for net in pair})
    expected = DISTILL_CONFIGS + [f'{net}_{SUFFIX}' for net in networks]
    expected += [f'slimmable_{teacher}_{SUFFIX}' for teacher in TEACHERS]
    assert CONFIGS == sorted(expected)


@pytest.mark.parametrize('name', CONFIGS)
def test_config_builds_and_classifies_into_100_classes(name):
    register_all_modules()
    cfg = _load(name)
    if 'teacher_ckpt' in cfg.model:
        cfg.model.teacher_ckpt = None
        cfg.model.allow_untrained_teacher = True
    model = MODELS.build(cfg.model).eval()
    inputs = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        assert model(inputs, mode='tensor').shape == (1, 100)
        if hasattr(model, 'teacher'):
            model.set_teacher_width(model.teacher_widths[0])
            assert model.teacher(inputs).shape == (1, 100)
    assert cfg.train_dataloader.dataset.type == 'CIFAR100'
    assert cfg.train_dataloader.batch_size == 64


@pytest.mark.parametrize('name', DISTILL_CONFIGS)
def test_pair_agrees_with_its_networks_and_checkpoints(name):
    teacher, student = _pair(name)
    cfg = _load(name)
    alone = _load(f'{student}_{SUFFIX}')
    teacher_cfg = _load(f'{teacher}_{SUFFIX}')
    for side, other in (('student', alone), ('teacher', teacher_cfg)):
        assert cfg.model[side].backbone == other.model.backbone, side
        assert cfg.model[side].head.in_channels == \
            other.model.head.in_channels, side
    assert cfg.model.teacher_ckpt == _last_checkpoint(_producer(name))
    lr = 0.01 if student in LOW_LR_STUDENTS else 0.05
    assert cfg.optim_wrapper.optimizer.lr == alone.optim_wrapper.optimizer.lr
    assert alone.optim_wrapper.optimizer.lr == lr
    assert cfg.train_cfg.max_epochs == alone.train_cfg.max_epochs == 240

    losses = cfg.model.distill_losses
    if name.startswith(('dkd', 'pwkd-dkd')):
        assert cfg.model.student_loss_weight == 1.0
        assert dict(losses.loss_dkd) == dict(
            type='DKDLoss', tau=4, alpha=1, beta=DKD_BETA.get(
                (teacher, student), 8), loss_weight=1)
    else:
        assert cfg.model.student_loss_weight == 0.1
        assert dict(losses) == dict(
            loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9))

    if name.startswith('pwkd'):
        slimmable = _load(_producer(name))
        assert cfg.model.teacher.widths == slimmable.model.widths == WIDTHS
        stages = cfg.custom_hooks[0].stages
        assert [stage.width for stage in stages] == list(WIDTHS)
        assert [stage.ratio for stage in stages] == [1] * 4
        assert cfg.train_cfg.max_epochs == 240
        assert cfg.param_scheduler.type == 'StageCosineLR'
        assert 'stages' not in cfg.param_scheduler
    else:
        assert not cfg.get('custom_hooks')
        assert cfg.param_scheduler.milestones == [150, 180, 210]


def _bases(name: str) -> List[str]:
    """The ``_base_`` list of a config file, as written."""
    for node in ast.parse((FOLDER / name).read_text()).body:
        if isinstance(node, ast.Assign) and any(
                getattr(target, 'id', None) == '_base_'
                for target in node.targets):
            return ast.literal_eval(node.value)
    return []


@pytest.mark.parametrize(
    'name', [name for name in DISTILL_CONFIGS if not name.startswith('kd_')])
def test_derived_config_inherits_the_pairs_networks(name):
    """A pair's networks are written once, in its KD config: DKD is the KD
    config plus the DKD loss, PWKD + KD and PWKD + DKD are the KD and DKD
    configs plus the stages."""
    method, rest = name.split('_', 1)
    host, fragment = DERIVED[method]
    assert _bases(name) == [f'{host}_{rest}', fragment]
    assert 'backbone' not in (FOLDER / name).read_text()


@pytest.mark.parametrize('teacher', TEACHERS)
def test_slimmable_teacher_starts_from_the_trained_teacher(teacher):
    slimmable = _load(f'slimmable_{teacher}_{SUFFIX}')
    plain = _load(f'{teacher}_{SUFFIX}')
    assert slimmable.load_from == _last_checkpoint(f'{teacher}_{SUFFIX}')
    assert slimmable.model.backbone == plain.model.backbone
    assert slimmable.model.head.in_channels == plain.model.head.in_channels


def _perturb(model: torch.nn.Module) -> None:
    """Give every BN non-trivial statistics and every bias non-zero
    values, as training would."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith(('running_mean', 'bias')):
                tensor.uniform_(-0.2, 0.2, generator=generator)
            elif name.endswith('running_var'):
                tensor.uniform_(0.5, 2.0, generator=generator)


def _save(model: torch.nn.Module, path: Path) -> str:
    torch.save(dict(state_dict=model.state_dict(), meta=dict()), path)
    return str(path)


@pytest.mark.parametrize('teacher', TEACHERS)
def test_each_step_loads_the_previous_checkpoint(teacher, tmp_path):
    """Trained teacher -> slimmable teacher (load_from, same logits at width
    1.0) -> the teachers of the KD and PWKD configs (strict)."""
    register_all_modules()
    plain = MODELS.build(_load(f'{teacher}_{SUFFIX}').model).eval()
    _perturb(plain)
    plain_ckpt = _save(plain, tmp_path / 'teacher.pth')
    slimmable = MODELS.build(
        _load(f'slimmable_{teacher}_{SUFFIX}').model).eval()
    load_checkpoint(slimmable, plain_ckpt, map_location='cpu', strict=True)
    inputs = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(
            slimmable(inputs), plain(inputs), rtol=0, atol=1e-5)
    slimmable_ckpt = _save(slimmable, tmp_path / 'slimmable.pth')

    student = next(s for t, s in PAIRS if t == teacher)
    for method, ckpt in (('kd', plain_ckpt), ('pwkd-kd', slimmable_ckpt)):
        cfg = _load(f'{method}_{teacher}_{student}_{SUFFIX}')
        load_teacher_checkpoint(MODELS.build(cfg.model.teacher), ckpt)


def write_fake_cifar100(root: Path, train: int, test: int) -> Path:
    """The python-format ``cifar-100-python`` folder that mmpretrain's
    CIFAR100 reads: pickled dicts with ``data`` (uint8, N x 3072: the red,
    green and blue 32x32 planes of each image), ``fine_labels``,
    ``coarse_labels`` and ``filenames``, and ``meta`` with the label
    names."""
    folder = root / 'cifar-100-python'
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, count in (('train', train), ('test', test)):
        fine = rng.integers(0, 100, size=count)
        entry = dict(
            batch_label=f'{split} batch',
            filenames=[f'{split}_{i}.png' for i in range(count)],
            fine_labels=fine.tolist(),
            coarse_labels=(fine // 5).tolist(),
            data=rng.integers(0, 256, size=(count, 3072), dtype=np.uint8))
        (folder / split).write_bytes(pickle.dumps(entry, protocol=2))
    meta = dict(
        fine_label_names=[f'class_{i}' for i in range(100)],
        coarse_label_names=[f'superclass_{i}' for i in range(20)])
    (folder / 'meta').write_bytes(pickle.dumps(meta, protocol=2))
    return root


@pytest.fixture(scope='module')
def fake_cifar100(tmp_path_factory) -> Path:
    """2 training and 2 test images in the CIFAR-100 file format."""
    return write_fake_cifar100(
        tmp_path_factory.mktemp('cifar100'), train=2, test=2)


@pytest.fixture
def without_md5(monkeypatch):
    """CIFAR100 checks the files against the md5 sums of the real data set
    in its ``train_list``/``test_list`` class attributes, and skips the
    check of an entry whose sum is None: the fake files get None."""
    for attr in ('train_list', 'test_list'):
        entries = [[name, None] for name, _ in getattr(CIFAR100, attr)]
        monkeypatch.setattr(CIFAR100, attr, entries)


def tiny_cfg(name: str, data_root: Path, work_dir: Path) -> Config:
    """``name`` on the fake data set of 2 images: batch 2, so one
    iteration per epoch; 2 epochs, or 1 epoch per PWKD stage; one validation
    at the end, no checkpoint, a randomly initialised teacher."""
    cfg = _load(name)
    for loader in ('train_dataloader', 'val_dataloader'):
        cfg[loader].update(batch_size=2, num_workers=0)
        cfg[loader].dataset.update(data_root=str(data_root), download=False)
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    cfg.model.teacher_ckpt = None
    cfg.model.allow_untrained_teacher = True
    if cfg.get('custom_hooks'):
        cfg.train_cfg.max_epochs = len(cfg.custom_hooks[0].stages)
    else:
        cfg.train_cfg.max_epochs = 2
    cfg.train_cfg.val_interval = cfg.train_cfg.max_epochs
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.env_cfg.cudnn_benchmark = False
    cfg.work_dir = str(work_dir)
    cfg.launcher = 'none'
    return cfg


def _logged(runner: Runner, key: str) -> List[float]:
    return [float(v) for v in runner.message_hub.get_scalar(key).data[0]]


def _clone(module: torch.nn.Module) -> Dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in module.state_dict().items()}


@pytest.mark.parametrize('name', DISTILL_CONFIGS)
def test_distillation_config_trains(name, fake_cifar100, without_md5,
                                    tmp_path):
    cfg = tiny_cfg(name, fake_cifar100, tmp_path)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    student_before = _clone(model.student)
    teacher_before = _clone(model.teacher)
    runner.train()

    iters = cfg.train_cfg.max_epochs
    for key in [f'train/distill.{n}' for n in cfg.model.distill_losses
                ] + ['train/student.loss']:
        values = _logged(runner, key)
        assert len(values) == iters and all(map(math.isfinite, values)), key
    student_after = model.student.state_dict()
    assert not torch.equal(student_before['head.fc.weight'],
                           student_after['head.fc.weight'])
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, teacher_before[key]), key

    if name.startswith('pwkd'):
        assert _logged(runner, 'train/teacher_width') == list(WIDTHS)
        assert model.teacher_width == 1.0
    else:
        assert model.teacher_widths == (1.0, )
    # One iteration per PWKD stage: each starts at the restarted base LR.
    base_lr = cfg.optim_wrapper.optimizer.lr
    assert _logged(runner, 'train/lr') == pytest.approx([base_lr] * iters)
    assert len(_logged(runner, 'val/accuracy/top1')) == 1
    assert _logged(runner, 'val/teacher/width') == [1.0]


def test_metafile_and_readme_list_every_config():
    meta = yaml.safe_load((FOLDER / 'metafile.yml').read_text())
    collections = {collection['Name'] for collection in meta['Collections']}
    for model in meta['Models']:
        assert model['In Collection'] in collections, model['Name']
        assert model['Name'] == Path(model['Config']).stem
    listed = sorted(Path(model['Config']).name for model in meta['Models'])
    assert listed == CONFIGS
    readme = (FOLDER / 'README.md').read_text()
    for name in CONFIGS:
        assert f'(./{name})' in readme, name


SCRIPT = REPO / 'tools' / 'benchmark' / 'cifar100.sh'
TABLE = REPO / 'tools' / 'benchmark' / 'cifar100_table.py'
# Stands in for python3 in cifar100.sh: a tools/train.py call is logged to
# $FAKE_TRAIN_CALLS and "trains" at once, leaving a checkpoint and a
# validation record (top-1 = 50 + seed) in its work dir; anything else
# (the table) runs for real.
FAKE_PYTHON = r'''
import json, os, runpy, sys
from pathlib import Path

argv = sys.argv[1:]
if argv[0] != 'tools/train.py':
    sys.argv = argv
    runpy.run_path(argv[0], run_name='__main__')
    sys.exit()
with open(os.environ['FAKE_TRAIN_CALLS'], 'a') as calls:
    calls.write(json.dumps(argv[1:]) + '\n')
work_dir = Path(argv[argv.index('--work-dir') + 1])
seed = [a for a in argv if a.startswith('randomness.seed=')] or ['=0']
logs = work_dir / '20260101_000000' / 'vis_data'
logs.mkdir(parents=True, exist_ok=True)
record = {'accuracy/top1': 50.0 + int(seed[0].split('=')[1])}
(logs / 'scalars.json').write_text(json.dumps(record) + '\n')
(work_dir / 'epoch_1.pth').write_text('')
(work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
'''


def _run_script(tmp_path: Path, *args: str) -> List[Tuple[Any, Config]]:
    """Run cifar100.sh with the fake interpreter. Return each train call
    parsed by tools/train.py's own parser, and its config with the call's
    --cfg-options."""
    stub = tmp_path / 'fake_python.py'
    stub.write_text(FAKE_PYTHON)
    python = tmp_path / 'python'
    python.write_text(f'#!/bin/sh\nexec {sys.executable} {stub} "$@"\n')
    python.chmod(0o755)
    log = tmp_path / 'calls.jsonl'
    log.write_text('')
    env = dict(
        os.environ,
        PYTHON=str(python),
        FAKE_TRAIN_CALLS=str(log),
        DATA_ROOT='/data/c100',
        WORK_ROOT=str(tmp_path / 'work'),
        METHODS='kd pwkd-kd')
    proc = subprocess.run(['bash', str(SCRIPT), *args],
                          cwd=tmp_path,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    parse_args = runpy.run_path(str(REPO / 'tools' / 'train.py'))['parse_args']
    calls = []
    for argv in map(json.loads, log.read_text().splitlines()):
        with patch.object(sys, 'argv', ['train.py', *argv]):
            args = parse_args()
        cfg = _load(Path(args.config).name)
        cfg.merge_from_dict(args.cfg_options)
        calls.append((args, cfg))
    return calls


def test_benchmark_script_chains_real_configs_and_checkpoints(tmp_path):
    work = tmp_path / 'work'
    calls = _run_script(tmp_path, 'resnet56_resnet20', '3')
    teacher, slimmable = f'resnet56_{SUFFIX}', f'slimmable_resnet56_{SUFFIX}'
    student = f'resnet20_{SUFFIX}'
    kd, pwkd = (f'{method}_resnet56_resnet20_{SUFFIX}'
                for method in ('kd', 'pwkd-kd'))
    assert [(Path(args.config).name, args.work_dir) for args, _ in calls] == [
        (teacher, str(work / teacher[:-3])),
        (slimmable, str(work / slimmable[:-3])),
        (student, str(work / student[:-3] / 'seed3')),
        (kd, str(work / kd[:-3] / 'seed3')),
        (pwkd, str(work / pwkd[:-3] / 'seed3')),
    ]
    teacher_ckpt = str(work / teacher[:-3] / 'epoch_1.pth')
    slimmable_ckpt = str(work / slimmable[:-3] / 'epoch_1.pth')
    assert [(cfg.get('load_from'), cfg.model.get('teacher_ckpt'))
            for _, cfg in calls] == [
                (None, None),
                (teacher_ckpt, None),
                (None, None),
                (None, teacher_ckpt),
                (None, slimmable_ckpt),
            ]
    assert [cfg.randomness.seed for _, cfg in calls] == [0, 0, 3, 3, 3]
    for args, cfg in calls:
        assert args.resume is None
        for loader in ('train_dataloader', 'val_dataloader'):
            assert cfg[loader].dataset.data_root == '/data/c100'
    table = (work / 'results_resnet56_resnet20.md').read_text()
    assert '| PWKD + KD | 1 | 53.00 | 53.00 |' in table

    # Finished runs are skipped. An interrupted one resumes from the latest
    # checkpoint in its work dir: train.py's --resume clears load_from, and
    # the script must not set it again to the teacher's.
    (work / slimmable[:-3] / 'done').unlink()
    calls = _run_script(tmp_path, 'resnet56_resnet20', '3')
    resumed = [(Path(args.config).name, args.resume,
                'load_from' in args.cfg_options) for args, _ in calls]
    assert resumed == [(slimmable, 'auto', False)]


def test_benchmark_script_rejects_bad_arguments_before_training():
    pair = 'resnet56_resnet20'
    for args, methods in (([], 'kd'), (['resnet56_resnet8'], 'kd'),
                          ([pair, 'one'], 'kd'), ([pair], 'kd fitnet')):
        proc = subprocess.run(['bash', str(SCRIPT), *args],
                              env=dict(os.environ, METHODS=methods),
                              capture_output=True,
                              text=True)
        assert proc.returncode == 2, args
        assert 'Usage: bash tools/benchmark/cifar100.sh PAIR' in proc.stderr
        assert '==>' not in proc.stdout
    text = SCRIPT.read_text()
    assert 'set -euo pipefail' in text
    listed = text[text.index('PAIRS=(') + 7:text.index(')', text.index(
        'PAIRS=('))].split()
    assert listed == [f'{teacher}_{student}' for teacher, student in PAIRS]


def _write_log(work_dir: Path, records: List[dict]) -> None:
    logs = work_dir / '20260101_000000' / 'vis_data'
    logs.mkdir(parents=True)
    (logs / 'scalars.json').write_text(''.join(
        json.dumps(record) + '\n' for record in records))


def test_results_table_reads_the_last_validation(tmp_path, monkeypatch):
    _write_log(tmp_path / 'teacher', [
        dict(loss=1.0, step=1),
        {'accuracy/top1': 60.0, 'step': 1},
        {'accuracy/top1': 70.0, 'step': 2},
        dict(loss=0.5, step=3),
    ])
    _write_log(tmp_path / 'slim', [{
        'accuracy/top1': 69.0,
        'accuracy/top1_w0.25': 40.0,
        'accuracy/top1_w1.0': 69.0,
        'data_time': 0.1,
    }])
    for seed, top1 in enumerate((60.0, 62.0)):
        _write_log(tmp_path / f'kd{seed}', [{'accuracy/top1': top1}])
    out = tmp_path / 'results.md'
    monkeypatch.setattr(sys, 'argv', [
        str(TABLE),
        str(out), '--run', 'teacher',
        str(tmp_path / 'teacher'), '--run', 'slimmable',
        str(tmp_path / 'slim'), '--run', 'KD',
        str(tmp_path / 'kd0'),
        str(tmp_path / 'kd1')
    ])
    runpy.run_path(str(TABLE), run_name='__main__')

    table = out.read_text()
    assert '| teacher | 1 | 70.00 | 70.00 |' in table
    assert '| slimmable, width 0.25 | 1 | 40.00 | 40.00 |' in table
    assert '| KD | 2 | 61.00 +- 1.41 | 60.00, 62.00 |' in table
    raw = json.loads(out.with_suffix('.json').read_text())
    assert raw['KD'] == {'accuracy/top1': [60.0, 62.0]}
    assert set(raw['slimmable']) == {
        'accuracy/top1', 'accuracy/top1_w0.25', 'accuracy/top1_w1.0'
    }
