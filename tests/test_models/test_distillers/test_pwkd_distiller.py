"""PWKDDistiller: frozen teacher, explicit sources, connectors, loading."""
import os
from typing import List

import pytest
import torch
from helpers import labelled_batch, resnet_classifier
from mmpretrain.structures import DataSample

from mmpwkd.models import PWKDDistiller
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

NUM_CLASSES = 5


def classifier(depth: int = 18, base: int = 8, slimmable: bool = False,
               **extra) -> dict:
    return resnet_classifier(depth, base, NUM_CLASSES, slimmable, **extra)


def distiller(**kwargs) -> PWKDDistiller:
    cfg = dict(
        type='PWKDDistiller',
        student=classifier(18, 8),
        teacher=classifier(34, 16, slimmable=True))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def batch(n: int = 4):
    return labelled_batch(n, NUM_CLASSES)


def test_loss_terms_and_frozen_teacher():
    model = distiller()
    model.train()
    assert not model.teacher.training
    assert all(not p.requires_grad for p in model.teacher.parameters())
    losses = model(*batch(), mode='loss')
    assert set(losses) >= {'student.loss', 'distill.loss_kd'}
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert all(p.grad is not None for p in model.student.parameters()
               if p.requires_grad)
    assert all(p.grad is None for p in model.teacher.parameters())


def test_student_loss_weight_scales_label_loss():
    inputs, samples = batch()
    full = distiller(student_loss_weight=1.0)
    scaled = distiller(student_loss_weight=0.1)
    scaled.load_state_dict(full.state_dict())
    a = full(inputs, samples, mode='loss')['student.loss']
    b = scaled(inputs, samples, mode='loss')['student.loss']
    assert b.item() == pytest.approx(0.1 * a.item(), rel=1e-5)


def test_teacher_width_switches_teacher_logits():
    model = distiller()
    inputs, samples = batch()
    kd = []
    for width in (0.25, 1.0):
        model.set_teacher_width(width)
        assert model.teacher_width == width
        kd.append(model(inputs, samples, mode='loss')['distill.loss_kd'])
    assert not torch.allclose(kd[0], kd[1])
    with pytest.raises(ValueError, match='not available'):
        model.set_teacher_width(0.3)


def test_a_stage_runs_the_teacher_as_stock_layers():
    """After the first forward at a width, the teacher runs as its copy at
    that width: the same logits, no slimmable layer run, no state added."""
    model = distiller(distill_losses=dict(loss_kd=dict(
        type='KDLoss', tau=4), loss_at=dict(
            type='ATLoss', student='backbone.layer3',
            teacher='backbone.layer3')))
    keys = set(model.state_dict())
    inputs, samples = batch()
    conv = model.teacher.backbone.conv1
    runs = []
    conv.register_forward_hook(lambda *args: runs.append(1))
    recorded = []
    for width in (0.5, 0.5, 0.25, 0.5):
        model.set_teacher_width(width)
        recorded.append(model(inputs, samples, mode='loss'))
        with torch.no_grad():
            teacher, _ = model._outputs('teacher', inputs)
            assert torch.equal(teacher['logits'],
                               model.teacher(inputs, mode='tensor'))
    # The first forward at 0.5 and at 0.25, and the reference forwards.
    assert len(runs) == 2 + 4
    assert torch.equal(recorded[0]['distill.loss_at'],
                       recorded[3]['distill.loss_at'])
    assert set(model.state_dict()) == keys
    model.teacher.double()  # moved weights: the copy is made again
    model.student.double()
    assert model(inputs.double(), samples, mode='loss')[
        'distill.loss_kd'].dtype == torch.float64
    assert len(runs) == 2 + 4 + 1


def test_a_recorded_slimmable_layer_keeps_the_teacher_slicing():
    model = distiller(distill_losses=dict(loss_at=dict(
        type='ATLoss', student='backbone.conv1', teacher='backbone.conv1')))
    model.set_teacher_width(0.25)
    model.eval()
    inputs, samples = batch()
    first = model(inputs, samples, mode='loss')['distill.loss_at']
    second = model(inputs, samples, mode='loss')['distill.loss_at']
    assert torch.equal(first, second) and first > 0


def test_plain_teacher_is_vanilla_kd():
    """The KD term scores the student's logits against the plain teacher's
    whole logits, and nothing else can be set."""
    model = distiller(teacher=classifier(34, 16))
    assert model.teacher_widths == (1.0, )
    model.set_teacher_width(1.0)
    with pytest.raises(ValueError, match='widths'):
        model.set_teacher_width(0.5)
    model.eval()  # BN running statistics: the same logits twice
    inputs, samples = batch()
    got = model(inputs, samples, mode='loss')
    with torch.no_grad():
        student = model.student(inputs, mode='tensor')
        teacher = model.teacher(inputs, mode='tensor')
    kd = model.distill_terms['loss_kd'].loss(student, teacher, None)
    assert kd > 0
    torch.testing.assert_close(got['distill.loss_kd'], kd)
    assert got['teacher_width'].item() == 1.0


def test_feature_loss_with_connector_follows_teacher_width():
    model = distiller(
        distill_losses=dict(
            loss_fitnet=dict(
                type='FitNetLoss',
                student='backbone.layer3',
                teacher='backbone.layer3',
                connector=dict(
                    type='ConvConnector', in_channels=32,
                    out_channels=64))))
    inputs, samples = batch()
    connector = model.distill_terms['loss_fitnet'].connector
    outputs = []
    connector.register_forward_hook(
        lambda m, i, o: outputs.append(o.shape[1]))
    for width in (0.25, 0.5, 1.0):
        model.set_teacher_width(width)
        losses = model(inputs, samples, mode='loss')
        assert torch.isfinite(losses['distill.loss_fitnet'])
    assert outputs == [16, 32, 64]


def test_channel_free_feature_loss_needs_no_connector():
    model = distiller(
        distill_losses=dict(
            loss_at=dict(
                type='ATLoss',
                student='backbone.layer2',
                teacher='backbone.layer2')))
    model.set_teacher_width(0.25)
    model.eval()
    features = {}
    for side in ('student', 'teacher'):
        getattr(model, side).backbone.layer2.register_forward_hook(
            lambda m, i, o, side=side: features.setdefault(side, o))
    loss = model(*batch(), mode='loss')['distill.loss_at']
    student, teacher = features['student'], features['teacher']
    assert student.shape[1] != teacher.shape[1]  # 16 and 8 channels
    expected = model.distill_terms['loss_at'].loss(student, teacher, None)
    assert loss > 0
    torch.testing.assert_close(loss, expected)


def test_dkd_gets_labels():
    model = distiller(
        distill_losses=dict(loss_dkd=dict(type='DKDLoss', beta=0.5)))
    assert torch.isfinite(model(*batch(), mode='loss')['distill.loss_dkd'])


def test_wrong_module_path_suggests_close_names():
    with pytest.raises(ValueError) as info:
        distiller(
            distill_losses=dict(
                loss_at=dict(
                    type='ATLoss', student='backbone.layr3',
                    teacher='backbone.layer3')))
    message = str(info.value)
    assert 'distill_losses.loss_at.student' in message
    assert "'backbone.layer3'" in message


def test_feature_loss_without_paths_is_refused():
    with pytest.raises(ValueError, match='module paths'):
        distiller(distill_losses=dict(loss_at=dict(type='ATLoss')))


def test_distill_scale_scales_every_distill_loss():
    inputs, samples = batch()
    model = distiller()
    full = model(inputs, samples, mode='loss')
    model.set_distill_scale(0.25)
    scaled = model(inputs, samples, mode='loss')
    assert scaled['distill.loss_kd'].item() == pytest.approx(
        0.25 * full['distill.loss_kd'].item(), rel=1e-5)
    assert scaled['student.loss'].item() == pytest.approx(
        full['student.loss'].item())


def test_a_loss_set_to_none_is_left_out():
    # What `--cfg-options model.distill_losses.loss_kd=None` gives.
    model = distiller(distill_losses=dict(
        loss_kd=None, loss_dkd=dict(type='DKDLoss', tau=4, beta=8)))
    assert set(model.distill_terms) == {'loss_dkd'}


@pytest.mark.parametrize('losses', [{}, dict(kd=dict(type='KDLoss')),
                                    dict(loss_kd=None)])
def test_bad_distill_losses(losses):
    with pytest.raises(ValueError, match='distill_losses'):
        distiller(distill_losses=losses)


def test_module_running_twice_is_refused():
    # mmpretrain's BasicBlock applies its one ReLU module twice.
    model = distiller(
        distill_losses=dict(
            loss_at=dict(
                type='ATLoss',
                student='backbone.layer1.0.relu',
                teacher='backbone.layer1.0.relu')))
    with pytest.raises(RuntimeError, match='more than once'):
        model(*batch(), mode='loss')


def test_predict_uses_the_student():
    model = distiller().eval()
    inputs, samples = batch()
    with torch.no_grad():
        results: List[DataSample] = model(inputs, samples, mode='predict')
        direct = model.student.predict(inputs, samples)
    assert torch.equal(results[0].pred_score, direct[0].pred_score)


def test_init_weights_leaves_teacher_alone():
    model = distiller(allow_untrained_teacher=True)
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    model.init_weights()
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_teacher_ckpt_loads_a_stock_checkpoint(tmp_path):
    plain = MODELS.build(classifier(34, 16))
    torch.save(dict(state_dict=plain.state_dict()), tmp_path / 't.pth')
    model = distiller(
        teacher_ckpt=str(tmp_path / 't.pth'), allow_untrained_widths=True)
    for key, value in plain.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[key], value), key


def test_stock_checkpoint_lacks_the_narrow_widths(tmp_path):
    plain = MODELS.build(classifier(34, 16))
    torch.save(dict(state_dict=plain.state_dict()), tmp_path / 't.pth')
    with pytest.raises(ValueError) as info:
        distiller(teacher_ckpt=str(tmp_path / 't.pth'))
    message = str(info.value)
    assert (f"teacher_ckpt='{tmp_path / 't.pth'}' holds no weights for the "
            'teacher widths [0.25, 0.5, 0.75]') in message
    assert 'configs/slimmable_teacher/' in message
    assert 'configs/cifar100/slimmable_*.py' in message
    assert 'model.allow_untrained_widths=True' in message


def test_stock_checkpoint_is_exact_for_a_full_width_teacher(tmp_path):
    plain = MODELS.build(classifier(34, 16))
    torch.save(dict(state_dict=plain.state_dict()), tmp_path / 't.pth')
    model = distiller(
        teacher=classifier(34, 16, slimmable=True, widths=(1.0, )),
        teacher_ckpt=str(tmp_path / 't.pth'))
    inputs, _ = batch()
    with torch.no_grad():
        assert torch.equal(model.teacher(inputs), plain.eval()(inputs))


def test_slimmable_checkpoint_trained_at_other_widths(tmp_path):
    other = MODELS.build(
        classifier(34, 16, slimmable=True, widths=(0.25, 0.5, 1.0)))
    torch.save(dict(state_dict=other.state_dict()), tmp_path / 's.pth')
    with pytest.raises(ValueError, match=r'teacher widths \[0\.75\]'):
        distiller(teacher_ckpt=str(tmp_path / 's.pth'))


def test_slimmable_checkpoint_provides_every_width(tmp_path):
    trained = MODELS.build(classifier(34, 16, slimmable=True))
    for bn in (m for m in trained.modules() if hasattr(m, 'narrow_bns')):
        for narrow in bn.narrow_bns.values():
            narrow.running_mean.uniform_()
    torch.save(dict(state_dict=trained.state_dict()), tmp_path / 's.pth')
    model = distiller(teacher_ckpt=str(tmp_path / 's.pth'))
    assert all(
        torch.equal(model.teacher.state_dict()[key], value)
        for key, value in trained.state_dict().items())


def test_teacher_ckpt_of_another_architecture_lists_keys(tmp_path):
    other = MODELS.build(classifier(18, 16))
    torch.save(dict(state_dict=other.state_dict()), tmp_path / 'r18.pth')
    with pytest.raises(ValueError, match='missing keys'):
        distiller(teacher_ckpt=str(tmp_path / 'r18.pth'))


def test_teacher_ckpt_missing_or_corrupt(tmp_path):
    with pytest.raises(ValueError, match='not found'):
        distiller(teacher_ckpt=str(tmp_path / 'nope.pth'))
    plain = MODELS.build(classifier(34, 16))
    path = tmp_path / 'truncated.pth'
    torch.save(dict(state_dict=plain.state_dict()), path)
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(ValueError, match='cannot be loaded'):
        distiller(teacher_ckpt=str(path))


def test_teacher_ckpt_with_non_finite_weights(tmp_path):
    plain = MODELS.build(classifier(34, 16))
    state = plain.state_dict()
    state['backbone.conv1.weight'][0, 0, 0, 0] = float('nan')
    state['head.fc.bias'][1] = float('inf')
    torch.save(dict(state_dict=state), tmp_path / 'nan.pth')
    with pytest.raises(ValueError) as info:
        distiller(teacher_ckpt=str(tmp_path / 'nan.pth'))
    assert ("holds NaN or Inf in 2 tensors, e.g. ['backbone.conv1.weight', "
            "'head.fc.bias']") in str(info.value)


class _Evil:

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_malicious_teacher_ckpt_is_refused(tmp_path):
    marker = tmp_path / 'pwned'
    torch.save(dict(state_dict={}, meta=_Evil(str(marker))),
               tmp_path / 'evil.pth')
    with pytest.raises(ValueError, match='cannot be loaded'):
        distiller(teacher_ckpt=str(tmp_path / 'evil.pth'))
    assert not marker.exists()


def test_teacher_runs_sliced_at_its_active_width():
    model = distiller()
    ran = []
    model.teacher.backbone.conv1.register_forward_hook(
        lambda module, args, out: ran.append(out.shape[1]))
    model.set_teacher_width(0.25)
    model(*batch(), mode='loss')
    assert ran == [4]


def test_a_slimmable_teacher_needs_a_stage_schedule_to_train():
    """Without PWKDStageHook nothing sets the width: the training step is
    refused rather than silently running the teacher at its last width."""
    from mmengine.optim import OptimWrapper
    model = distiller()
    inputs, samples = batch()
    data = dict(inputs=list(inputs), data_samples=samples)
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(RuntimeError, match='no stage schedule sets its '
                       r"width: add custom_hooks=\[dict\(type='PWKDStage"):
        model.train_step(data, wrapper)
    model.set_teacher_width(0.5)
    assert model.train_step(data, wrapper)['teacher_width'].item() == 0.5


def test_training_step_leaves_the_teacher_frozen():
    model = distiller()
    model.set_teacher_width(0.5)
    before = {k: v.clone() for k, v in model.teacher.state_dict().items()}
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    inputs, samples = batch()
    for _ in range(2):
        losses = model.loss(inputs, samples)
        optimizer.zero_grad()
        sum(losses.values()).backward()
        optimizer.step()
    assert all(p.grad is None for p in model.teacher.parameters())
    for key, value in model.teacher.state_dict().items():
        assert torch.equal(value, before[key]), key


def test_eval_teacher_scores_the_active_width():
    from mmpwkd.registry import METRICS
    model = distiller(eval_teacher=True).eval()
    metric = METRICS.build(
        dict(
            type='PerWidthAccuracy',
            prefix='teacher',
            score_field='teacher_score_per_width'))
    inputs, samples = batch()
    model.set_teacher_width(0.5)
    with torch.no_grad():
        results = model(inputs, samples, mode='predict')
        with model.teacher.width(0.5):
            expected = model.teacher.predict(inputs)
    for result, plain in zip(results, expected):
        assert list(result.teacher_score_per_width) == [0.5]
        assert torch.allclose(result.teacher_score_per_width[0.5],
                              plain.pred_score)
    metric.process(None, [r.to_dict() for r in results])
    hits = sum(int(r.teacher_score_per_width[0.5].argmax() == r.gt_label)
               for r in results)
    assert metric.compute_metrics(metric.results) == {
        'top1_w0.5': pytest.approx(100 * hits / len(results))
    }
    metric.width_in_name = False
    assert metric.compute_metrics(metric.results) == {
        'top1': pytest.approx(100 * hits / len(results)),
        'width': 0.5
    }
    metric.results.append({0.25: torch.tensor([True])})
    with pytest.raises(ValueError, match='needs one width'):
        metric.compute_metrics(metric.results)
