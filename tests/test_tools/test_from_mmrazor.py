"""tools/misc/from_mmrazor.py ports MMRazor's KD, DKD and FitNets configs
(fixtures restating their published keys), or names each key it cannot."""
import os.path as osp
import re

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

from conftest import load_tool

register_all_modules()

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURES = osp.join(ROOT, 'tests', 'data', 'mmrazor')
KD = 'kd_logits_resnet34_resnet18_8xb32_in1k.py'
DKD = 'dkd_resnet34_resnet18_8xb32_in1k.py'
FITNETS = 'fitnets_backbone_logits_resnet50_resnet18_8xb32_in1k.py'


TOOL = load_tool('tools/misc/from_mmrazor.py')


def convert(tmp_path, name: str, text: str = None) -> Config:
    source = osp.join(FIXTURES, name)
    if text is not None:
        source = str(tmp_path / name)
        with open(source, 'w') as file:
            file.write(text)
    out = tmp_path / 'configs' / f'ours_{name}'
    out.parent.mkdir(exist_ok=True)
    assert TOOL.main([source, str(out)]) == 0
    assert 'mmcls' not in out.read_text()
    return Config.fromfile(str(out))


def test_kd_config(tmp_path):
    cfg = convert(tmp_path, KD)
    model = cfg.model
    assert model.type == 'PWKDDistiller'
    assert model.student == dict(
        cfg_path='mmpretrain::resnet/resnet18_8xb32_in1k.py')
    assert model.teacher_ckpt.endswith('resnet34_8xb32_in1k_20210831-'
                                       'f257d4e6.pth')
    # MMRazor weighs the student's cross-entropy 1.0; our default is 0.1.
    assert model.student_loss_weight == 1.0
    assert model.distill_losses == dict(
        loss_kl=dict(type='KDLoss', tau=1, loss_weight=5,
                     student='logits', teacher='logits'))
    assert model.data_preprocessor.to_rgb is True
    assert cfg.default_scope == 'mmpwkd'
    assert cfg.train_cfg.max_epochs == 100  # mmpretrain's schedule base
    model.pop('teacher_ckpt')
    built = MODELS.build(dict(model, allow_untrained_teacher=True))
    assert built.student.backbone.depth == 18
    assert built.teacher.backbone.depth == 34


def _mmrazor_dkd_mean(student, teacher, target, tau, alpha, beta):
    """DKD with reduction='mean' as MMRazor's docs define it: each KL
    averaged over all its elements."""
    mask = F.one_hot(target, student.shape[1]).bool()

    def binary(logits):
        p = F.softmax(logits / tau, dim=1)
        return torch.stack([p[mask], p[~mask].view(len(p), -1).sum(1)], 1)

    tckd = F.kl_div(binary(student).log(), binary(teacher),
                    reduction='mean') * tau**2
    nckd = F.kl_div(F.log_softmax(student / tau - 1000.0 * mask, dim=1),
                    F.softmax(teacher / tau - 1000.0 * mask, dim=1),
                    reduction='mean') * tau**2
    return alpha * tckd + beta * nckd


def test_dkd_config_keeps_the_loss_value(tmp_path):
    loss_cfg = dict(convert(tmp_path, DKD).model.distill_losses.loss_dkd)
    assert (loss_cfg['student'], loss_cfg['teacher']) == ('logits',
                                                          'logits')
    assert (loss_cfg['alpha'], loss_cfg['beta']) == (0.5, 0.5 / 1000)
    assert_mmrazor_dkd_value(
        {k: v for k, v in loss_cfg.items() if k not in ('student',
                                                        'teacher')})


def assert_mmrazor_dkd_value(loss_cfg: dict) -> None:
    """The loss of ``loss_cfg`` equals MMRazor's DKD (tau 1, alpha 1, beta
    0.5, reduction='mean') on 1000-class logits."""
    loss = MODELS.build(loss_cfg)
    torch.manual_seed(0)
    student, teacher = torch.randn(2, 8, 1000).unbind(0)
    target = torch.randint(0, 1000, (8, ))
    expected = _mmrazor_dkd_mean(student, teacher, target, 1, 1.0, 0.5)
    assert loss(student, teacher, target).item() == pytest.approx(
        expected.item(), rel=1e-4)


def test_our_dkd_config_is_mmrazors_loss(tmp_path):
    """configs/kd's DKD config, which states MMRazor's recipe, gives the
    loss value of MMRazor's config (reduction='mean'), as the converter
    does."""
    ours = Config.fromfile(osp.join(ROOT, 'configs', 'kd', DKD))
    loss_cfg = dict(ours.model.distill_losses.loss_dkd)
    converted = dict(convert(tmp_path, DKD).model.distill_losses.loss_dkd)
    assert (loss_cfg['alpha'], loss_cfg['beta']) == (
        converted['alpha'], converted['beta'])
    assert_mmrazor_dkd_value(loss_cfg)


def test_fitnets_config_names_each_key_it_cannot_map(tmp_path, capsys):
    assert TOOL.main([osp.join(FIXTURES, FITNETS),
                      str(tmp_path / 'out.py')]) == 1
    error = capsys.readouterr().err
    for key in ('model.distiller.distill_losses.loss_s4: L2Loss',
                'model.distiller.distill_losses.loss_s3: L2Loss',
                'model.distiller.connectors.loss_s4_sfeat.act_cfg',
                'model.distiller.connectors.loss_s3_sfeat.act_cfg'):
        assert key in error
    assert not (tmp_path / 'out.py').exists()


def test_fitnets_config_with_exact_settings(tmp_path):
    with open(osp.join(FIXTURES, FITNETS)) as file:
        text = file.read()
    text = text.replace("type='L2Loss',",
                        "type='L2Loss', normalize=False, div_element=True,")
    text = text.replace("norm_cfg=dict(type='BN')",
                        "norm_cfg=dict(type='BN'), act_cfg=None")
    losses = convert(tmp_path, FITNETS, text).model.distill_losses
    # A ResNet block returns its ReLU's last call: the block's output.
    assert losses.loss_s4 == dict(
        type='FitNetLoss', loss_weight=10, student='backbone.layer4.1',
        teacher='backbone.layer4.2',
        connector=dict(type='ConvConnector', in_channels=512,
                       out_channels=2048, norm=True))
    assert losses.loss_s3.teacher == 'backbone.layer3.5'
    # reduction='mean' averages over N x 1000 classes: batchmean / 1000.
    assert losses.loss_kl == dict(type='KDLoss', tau=6, loss_weight=0.01,
                                  student='logits', teacher='logits')


@pytest.mark.parametrize('old, new, key', [
    ("type='SingleTeacherDistill'", "type='DAFLDataFreeDistillation'",
     'model.type'),
    ("type='KLDivergence'", "type='WSLD'",
     'model.distiller.distill_losses.loss_kl.type'),
    ('distill_losses=', 'distill_deliveries=dict(), distill_losses=',
     'model.distiller.distill_deliveries'),
    ("calculate_student_loss", "calculate_student_loss", ''),
])
def test_unmappable_keys_are_named(tmp_path, capsys, old, new, key):
    with open(osp.join(FIXTURES, KD)) as file:
        text = file.read()
    if not key:  # calculate_student_loss=False: the student's CE is off
        text = text.replace('teacher_ckpt=teacher_ckpt,',
                            'teacher_ckpt=teacher_ckpt, '
                            'calculate_student_loss=False,')
        assert convert(tmp_path, KD, text).model.student_loss_weight == 0.0
        return
    source = tmp_path / KD
    source.write_text(text.replace(old, new, 1))
    assert TOOL.main([str(source), str(tmp_path / 'out.py')]) == 1
    assert re.search(rf'^  {re.escape(key)}:', capsys.readouterr().err,
                     re.M)


def test_source_is_read_as_data(tmp_path, capsys):
    source = tmp_path / 'hostile.py'
    marker = tmp_path / 'ran'
    source.write_text(f"model = __import__('pathlib').Path('{marker}')"
                      '.touch()\n')
    with pytest.raises(TOOL.ConversionError, match='reads configs as data'):
        TOOL.convert_file(str(source), str(tmp_path / 'out.py'))
    assert not marker.exists()
