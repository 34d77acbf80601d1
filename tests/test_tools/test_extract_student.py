"""tools/model_converters/extract_student.py: a distiller's training
checkpoint in, a plain mmpretrain student checkpoint out."""
import os
import subprocess
from pathlib import Path

import pytest
import torch
from mmengine.runner import Runner
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS

from mmpwkd import __version__

from conftest import REPO, load_tool, python_tool, run_tool
from helpers import resnet_classifier

TOOL = 'tools/model_converters/extract_student.py'
NUM_CLASSES = 4


def _classifier(depth: int, base: int, slimmable: bool = False) -> dict:
    extra = dict(widths=(0.5, 1.0)) if slimmable else {}
    return resnet_classifier(depth, base, NUM_CLASSES, slimmable, **extra)


STUDENT = _classifier(18, 8)
DISTILLER = dict(
    type='PWKDDistiller',
    student=STUDENT,
    teacher=_classifier(34, 16, slimmable=True),
    allow_untrained_teacher=True,
    data_preprocessor=dict(
        num_classes=NUM_CLASSES, mean=[127.5] * 3, std=[64.0] * 3),
    distill_losses=dict(
        loss_kd=dict(type='KDLoss', tau=4, loss_weight=0.9),
        loss_fitnet=dict(
            type='FitNetLoss',
            student='backbone.layer3',
            teacher='backbone.layer3',
            connector=dict(
                type='ConvConnector', in_channels=32, out_channels=64))))


def _write_config(folder: Path) -> Path:
    """The distiller as a config file: the Runner of ``trained`` saves no
    config in its checkpoints' meta, so the tool is given this one."""
    path = folder / 'distill.py'
    path.write_text(f"default_scope = 'mmpwkd'\nmodel = {DISTILLER!r}\n")
    return path


@pytest.fixture(scope='module')
def trained(tmp_path_factory, image_folder) -> Runner:
    """A distiller after one epoch (2 iterations), saved by mmengine's
    CheckpointHook as ``epoch_1.pth`` in its work dir."""
    loader = dict(
        batch_size=4,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(
            type='CustomDataset',
            data_root=str(image_folder),
            indices=8,
            pipeline=[dict(type='LoadImageFromFile'),
                      dict(type='PackInputs')]))
    runner = Runner(
        model=DISTILLER,
        work_dir=str(tmp_path_factory.mktemp('distill')),
        train_dataloader=loader,
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)),
        # KD from the whole slimmable teacher: a one-stage schedule.
        custom_hooks=[dict(type='PWKDStageHook',
                           stages=[dict(width=1.0, ratio=1)])],
        default_scope='mmpwkd',
        randomness=dict(seed=0))
    runner.train()
    return runner


def test_extracted_student_predicts_like_distiller_student(
        trained, tmp_path):
    source = Path(trained.work_dir) / 'epoch_1.pth'
    out = tmp_path / 'nested' / 'student.pth'
    load_tool(TOOL).main([str(source), '--out', str(out), '--config',
                          str(_write_config(tmp_path))])

    exported = torch.load(out, weights_only=True)
    assert set(exported) == {'state_dict', 'meta'}
    meta = exported['meta']
    assert (meta['source_checkpoint'], meta['epoch'], meta['iter'],
            meta['mmpwkd_version']) == (str(source), 1, 2, __version__)
    assert len(meta['dataset_meta']['classes']) == NUM_CLASSES

    student = MMPRETRAIN_MODELS.build(STUDENT)
    student.load_state_dict(exported['state_dict'], strict=True)
    student.eval()
    distilled = trained.model.student.eval()
    inputs = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        expected = distilled(inputs)
        torch.testing.assert_close(student(inputs), expected, rtol=0, atol=0)
    # Trained weights, not a fresh init: the logits differ from an init.
    fresh = MMPRETRAIN_MODELS.build(STUDENT).eval()
    with torch.no_grad():
        assert not torch.allclose(fresh(inputs), expected)


def test_keeps_student_only_and_strips_ddp_prefix(trained, tmp_path):
    tool = load_tool(TOOL)
    state = trained.model.state_dict()
    assert any(k.startswith('teacher.') for k in state)
    assert any('.connector.' in k for k in state)
    wrapped = {f'module.{k}': v for k, v in state.items()}
    wrapped['module.data_preprocessor.mean'] = torch.zeros(3)
    source = tmp_path / 'wrapped.pth'
    torch.save(dict(state_dict=wrapped), source)
    out = tmp_path / 'student.pth'
    tool.main([str(source), '--out', str(out), '--config',
               str(_write_config(tmp_path))])

    exported = torch.load(out, weights_only=True)
    expected = trained.model.student.state_dict()
    assert list(exported['state_dict']) == list(expected)
    for key, value in expected.items():
        assert torch.equal(exported['state_dict'][key], value), key
    assert exported['meta'] == dict(
        source_checkpoint=str(source), mmpwkd_version=__version__)


def test_plain_classifier_checkpoint_is_refused(tmp_path):
    source = tmp_path / 'plain.pth'
    model = MMPRETRAIN_MODELS.build(STUDENT)
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=3)),
               source)
    with pytest.raises(SystemExit,
                       match="not a PWKDDistiller checkpoint: no key "
                       "starts with 'student.'.*backbone.conv1.weight"):
        load_tool(TOOL).main([str(source), '--out', str(tmp_path / 'o.pth')])
    assert not (tmp_path / 'o.pth').exists()


def test_missing_file_is_named(tmp_path):
    missing = tmp_path / 'nowhere.pth'
    with pytest.raises(SystemExit, match=f'{missing}.*no such file'):
        load_tool(TOOL).main([str(missing), '--out', str(tmp_path / 'o.pth')])


class _RunsCode:
    """Unpickles to ``os.system(command)``: what a hostile file would do."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command, )


def test_malicious_pickle_is_refused_without_running_code(tmp_path):
    marker = tmp_path / 'pwned'
    source = tmp_path / 'hostile.pth'
    payload = dict(state_dict={'student.w': torch.zeros(1)},
                   meta=_RunsCode(f'touch {marker}'))
    torch.save(payload, source)
    out = tmp_path / 'student.pth'
    proc = subprocess.run(
        python_tool(TOOL, str(source), '--out', str(out)),
        cwd=REPO, capture_output=True, text=True, timeout=120)

    assert proc.returncode != 0
    assert not marker.exists()
    assert not out.exists()
    assert proc.stderr.startswith(f"extract_student: checkpoint '{source}' "
                                'cannot be loaded with weights_only=True')
    assert 'Traceback' not in proc.stderr


def test_student_config_is_written_beside_the_weights(trained, tmp_path):
    from mmengine.config import Config
    source = Path(trained.work_dir) / 'epoch_1.pth'
    out = tmp_path / 'student.pth'
    load_tool(TOOL).main([str(source), '--out', str(out), '--config',
                          str(_write_config(tmp_path))])

    cfg = Config.fromfile(out.with_suffix('.py'))
    expected = dict(STUDENT, data_preprocessor=DISTILLER['data_preprocessor'])
    assert cfg.model.to_dict() == expected
    assert 'custom_hooks' not in cfg


def test_output_equal_to_input_is_refused(trained, tmp_path):
    source = tmp_path / 'epoch_1.pth'
    source.write_bytes((Path(trained.work_dir) / 'epoch_1.pth').read_bytes())
    before = source.read_bytes()
    config = _write_config(tmp_path)
    with pytest.raises(SystemExit,
                       match=f"output '{source}' is the input checkpoint"):
        load_tool(TOOL).main([str(source), '--out', str(source), '--config',
                              str(config)])
    # student.pth -> student.py: a config path that is the input config.
    with pytest.raises(SystemExit,
                       match=f"output '{config}' is the input config"):
        load_tool(TOOL).main([str(source), '--out',
                              str(config.with_suffix('.pth')), '--config',
                              str(config)])
    assert source.read_bytes() == before


def test_checkpoint_without_config_asks_for_one(trained, tmp_path):
    source = tmp_path / 'bare.pth'
    torch.save(dict(state_dict=trained.model.state_dict()), source)
    with pytest.raises(SystemExit,
                       match='has no config in meta.cfg.*pass the '
                       'distillation config with --config'):
        load_tool(TOOL).main([str(source), '--out', str(tmp_path / 'o.pth')])
    assert not (tmp_path / 'o.pth').exists()


def test_config_that_does_not_fit_the_weights_is_refused(trained, tmp_path):
    source = Path(trained.work_dir) / 'epoch_1.pth'
    other = tmp_path / 'other.py'
    other.write_text("default_scope = 'mmpwkd'\nmodel = "
                     f"{dict(DISTILLER, student=_classifier(34, 8))!r}\n")
    plain = tmp_path / 'plain.py'
    plain.write_text(f"model = {STUDENT!r}\n")
    out = tmp_path / 'student.pth'
    with pytest.raises(SystemExit,
                       match=r'the student weights do not fit model.student '
                       r'of the config: missing keys .* in all\), '
                       r'unexpected keys \[\] \(0 in all\)'):
        load_tool(TOOL).main([str(source), '--out', str(out), '--config',
                              str(other)])
    with pytest.raises(SystemExit,
                       match="model.student is missing \\(model type "
                       "'ImageClassifier'\\); expected a PWKDDistiller"):
        load_tool(TOOL).main([str(source), '--out', str(out), '--config',
                              str(plain)])
    assert not out.exists() and not out.with_suffix('.py').exists()


def _with_meta_cfg(trained, path: Path, text: str) -> Path:
    torch.save(dict(state_dict=trained.model.state_dict(),
                    meta=dict(cfg=text)), path)
    return path


def test_config_from_meta_is_read_as_literals(trained, tmp_path):
    from mmengine.config import Config
    text = Config(dict(default_scope='mmpwkd', model=DISTILLER)).pretty_text
    source = _with_meta_cfg(trained, tmp_path / 'run.pth', text)
    out = tmp_path / 'student.pth'
    load_tool(TOOL).main([str(source), '--out', str(out)])
    cfg = Config.fromfile(out.with_suffix('.py'))
    assert cfg.model.backbone.depth == STUDENT['backbone']['depth']


def test_hostile_meta_cfg_is_never_run(trained, tmp_path):
    """A checkpoint's meta.cfg whose first line runs a shell command: the
    tool refuses it and the command does not run."""
    marker = tmp_path / 'ran'
    text = (f"ran = __import__('os').system('touch {marker}')\n"
            f"default_scope = 'mmpwkd'\nmodel = {DISTILLER!r}\n")
    source = _with_meta_cfg(trained, tmp_path / 'run.pth', text)
    out = tmp_path / 'student.pth'
    proc = subprocess.run(
        python_tool(TOOL, str(source), '--out', str(out)),
        cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    assert not marker.exists()
    assert not out.exists() and not out.with_suffix('.py').exists()
    assert f'{source}:meta.cfg, line 1: ' in proc.stderr
    assert 'never executed. Pass the config file instead' in proc.stderr
    assert 'Traceback' not in proc.stderr


def test_non_finite_student_weights_are_refused(trained, tmp_path):
    state = dict(trained.model.state_dict())
    key = next(k for k in state if k.startswith('student.backbone.'))
    state[key] = torch.full_like(state[key], float('nan'))
    source = tmp_path / 'nan.pth'
    torch.save(dict(state_dict=state), source)
    out = tmp_path / 'student.pth'
    name = key[len('student.'):]
    with pytest.raises(SystemExit,
                       match=f"NaN or Inf in 1 tensors, e.g. \\['{name}'\\]"):
        load_tool(TOOL).main([str(source), '--out', str(out), '--config',
                              str(_write_config(tmp_path))])
    assert not out.exists()


def _tree_bytes(folder: Path) -> dict:
    return {
        path.relative_to(folder): path.read_bytes()
        for path in sorted(folder.rglob('*')) if path.is_file()
    }


def _run_config(folder: Path, work_dir: str, image_folder: Path) -> Path:
    """A distillation config as a run saves it: its work_dir, a PWKD stage
    schedule and hook, and data to train and test on."""
    stages = [dict(width=0.5, epochs=1), dict(width=1.0, epochs=1)]
    loader = dict(
        batch_size=4, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='CustomDataset', data_root=str(image_folder),
                     indices=8, pipeline=[dict(type='LoadImageFromFile'),
                                          dict(type='PackInputs')]))
    run = dict(
        default_scope='mmpwkd', work_dir=work_dir, model=DISTILLER,
        train_dataloader=loader, test_dataloader=loader,
        test_evaluator=dict(type='Accuracy'), test_cfg=dict(),
        train_cfg=dict(by_epoch=True, max_epochs=2),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        param_scheduler=dict(type='StageCosineLR', stages=stages),
        custom_hooks=[dict(type='PWKDStageHook', stages=stages)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1)))
    path = folder / 'distill_run.py'
    path.write_text(''.join(f'{k} = {v!r}\n' for k, v in run.items()))
    return path


def test_fine_tuning_the_export_never_touches_the_run(trained, tmp_path,
                                                      image_folder):
    """The exported config is a clean classifier config: training and
    testing from it write into their own work dir, and the distillation
    run's files stay byte-identical."""
    from mmengine.config import Config
    run_dir = Path(trained.work_dir)
    config = _run_config(tmp_path, str(run_dir), image_folder)
    out = tmp_path / 'export' / 'student.pth'
    load_tool(TOOL).main([str(run_dir / 'epoch_1.pth'), '--out', str(out),
                          '--config', str(config)])
    # After the in-process export, whose log lines go to the fixture run's
    # log file: the subprocesses below must change nothing of the run.
    before = _tree_bytes(run_dir)
    exported = Config.fromfile(out.with_suffix('.py'))
    assert 'work_dir' not in exported
    assert exported.param_scheduler['type'] == 'CosineAnnealingLR'
    assert exported.custom_hooks == []

    run_tool(python_tool('tools/train.py', str(out.with_suffix('.py')),
                         '--cfg-options', 'train_cfg.max_epochs=1',
                         f'load_from={out}'), cwd=tmp_path)
    run_tool(python_tool('tools/test.py', str(out.with_suffix('.py')),
                         str(out)), cwd=tmp_path)
    assert (tmp_path / 'work_dirs' / 'student' / 'epoch_1.pth').is_file()
    assert _tree_bytes(run_dir) == before
