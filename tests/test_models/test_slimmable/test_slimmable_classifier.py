import pytest
import torch
import torch.distributed as dist
from mmengine.model import MMDistributedDataParallel
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS as MMPRETRAIN_MODELS
from slimmable_testing import (NUM_CLASSES, build, classifier_cfg, fake_batch,
                               randomize, stock_cfg, tiny_resnet_cfg)

from mmpwkd.models.losses import kd_loss
from mmpwkd.models.slimmable import SlimmableClassifier

WIDTHS = (0.25, 0.5, 0.75, 1.0)


def test_builds_from_config_with_default_widths():
    model = build(tiny_resnet_cfg())
    assert isinstance(model, SlimmableClassifier)
    assert model.widths == WIDTHS
    assert model.active_width == 1.0
    assert model.backbone.layer2[0].conv1.channels_per_width == {
        0.25: 4,
        0.5: 8,
        0.75: 12,
        1.0: 16
    }
    assert model.head.fc.channels_per_width == dict.fromkeys(
        WIDTHS, NUM_CLASSES)


@pytest.mark.parametrize('kwargs, message', [
    (dict(widths=[]), 'SlimmableClassifier: widths must not be empty'),
    (dict(widths=(0.5, )), 'SlimmableClassifier: widths must contain 1.0'),
    (dict(divisor=0), 'divisor must be a positive int, got 0'),
    (dict(divisor=8.0), 'divisor must be a positive int, got 8.0'),
    (dict(sandwich=3), r'sandwich must be None or an int in .* \[0, 2\]'),
    (dict(sandwich=-1), 'sandwich must be None or an int'),
    (dict(widths=(1.0, ), sandwich=0), r'\[0, -1\]'),
    (dict(distill_temperature=0), 'distill_temperature must be a positive'),
])
def test_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build(tiny_resnet_cfg(**kwargs))


def test_vision_transformer_fails_at_build_time():
    backbone = dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=16, num_layers=1, num_heads=2,
            feedforward_channels=32),
        img_size=16,
        patch_size=8)
    cfg = dict(
        classifier_cfg(backbone, 16),
        neck=None,
        head=dict(
            type='VisionTransformerClsHead',
            num_classes=NUM_CLASSES,
            in_channels=16))
    with pytest.raises(ValueError,
                       match=r'cannot slice "backbone" \(VisionTransformer\)'):
        build(cfg)


def test_set_width_and_context_manager():
    model = build(tiny_resnet_cfg())
    conv = model.backbone.conv1
    with pytest.raises(ValueError, match=r'width must be one of \(0.25, '):
        model.set_width(0.3)
    model.set_width(0.5)
    assert model.active_width == 0.5 and conv.active_width == 0.5
    with model.width(0.25) as same:
        assert same is model
        assert model.active_width == 0.25 and conv.active_width == 0.25
    assert model.active_width == 0.5 and conv.active_width == 0.5
    with pytest.raises(RuntimeError, match='inside'):
        with model.width(1.0):
            raise RuntimeError('inside')
    assert conv.active_width == 0.5


def test_stock_checkpoint_loads_and_initialises_narrow_bns():
    stock = MMPRETRAIN_MODELS.build(stock_cfg(tiny_resnet_cfg()))
    state = randomize(stock)
    model = build(tiny_resnet_cfg())
    result = model.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    norm = model.backbone.layer2[0].bn1
    torch.testing.assert_close(norm.narrow_bns['0_25'].running_var,
                               state['backbone.layer2.0.bn1.running_var'][:4])
    inputs, _ = fake_batch()
    model.eval()
    stock.eval()
    torch.testing.assert_close(model(inputs), stock(inputs), rtol=0, atol=0)


def test_init_weights_reaches_narrow_bns(tmp_path):
    model = build(tiny_resnet_cfg())
    model.init_weights()
    # zero_init_residual zeroes the last BN of each block at every width.
    norm = model.backbone.layer1[0].bn2
    assert torch.equal(norm.narrow_bns['0_5'].weight, torch.zeros(4))

    source = build(tiny_resnet_cfg())
    with torch.no_grad():
        source.backbone.layer1[0].bn2.narrow_bns['0_5'].weight.fill_(0.7)
    checkpoint = tmp_path / 'slimmable.pth'
    torch.save({'state_dict': source.state_dict()}, checkpoint)
    model = build(
        tiny_resnet_cfg(
            init_cfg=dict(type='Pretrained', checkpoint=str(checkpoint))))
    model.init_weights()
    norm = model.backbone.layer1[0].bn2
    assert torch.equal(norm.narrow_bns['0_5'].weight, torch.full((4, ), 0.7))


def test_loss_has_one_entry_per_width():
    torch.manual_seed(0)
    model = build(tiny_resnet_cfg())
    inputs, samples = fake_batch()
    losses = model.loss(inputs, samples)
    assert set(losses) == {f'loss_w{w}'
                           for w in WIDTHS} | {f'accuracy_top-1_w{w}'
                                               for w in WIDTHS}
    with model.width(0.5):
        alone = model.head.loss(model.extract_feat(inputs), samples)['loss']
    torch.testing.assert_close(losses['loss_w0.5'], alone)
    assert model.active_width == 1.0


def test_loss_with_soft_labels_logs_no_accuracy():
    model = build(tiny_resnet_cfg())
    inputs, samples = fake_batch()
    for sample in samples:
        sample.set_gt_score(torch.full((NUM_CLASSES, ), 1 / NUM_CLASSES))
    assert set(model.loss(inputs, samples)) == {f'loss_w{w}' for w in WIDTHS}


def test_joint_training_lowers_every_width_loss():
    torch.manual_seed(0)
    model = build(tiny_resnet_cfg())
    inputs, samples = fake_batch(batch_size=8)
    data = dict(inputs=inputs, data_samples=samples)
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9))
    first = model.train_step(data, optim_wrapper)
    for _ in range(8):
        last = model.train_step(data, optim_wrapper)
    for width in WIDTHS:
        key = f'loss_w{width}'
        assert last[key] < first[key], (key, first[key], last[key])
    total = sum(first[f'loss_w{w}'] for w in WIDTHS)
    torch.testing.assert_close(first['loss'], total)


def test_sandwich_trains_widest_narrowest_and_random_others():
    torch.manual_seed(0)
    model = build(tiny_resnet_cfg(sandwich=1))
    inputs, samples = fake_batch()
    seen = set()
    for _ in range(12):
        widths = {
            float(key[len('loss_w'):])
            for key in model.loss(inputs, samples) if key.startswith('loss')
        }
        assert len(widths) == 3 and {0.25, 1.0} <= widths
        seen |= widths
    assert seen == set(WIDTHS)

    model = build(tiny_resnet_cfg(sandwich=0))
    losses = model.loss(inputs, samples)
    assert {key for key in losses if key.startswith('loss')} == {
        'loss_w0.25', 'loss_w1.0'
    }
    sum(losses.values()).backward()
    norm = model.backbone.layer1[0].bn1
    assert norm.narrow_bns['0_5'].weight.grad is None
    assert norm.narrow_bns['0_25'].weight.grad is not None


def test_inplace_distill_uses_the_widest_detached_predictions():
    model = build(tiny_resnet_cfg(inplace_distill=True,
                                  distill_temperature=2.0))
    model.eval()
    inputs, samples = fake_batch()
    losses = model.loss(inputs, samples)
    teacher = model(inputs)
    with model.width(0.25):
        student = model(inputs)
    torch.testing.assert_close(losses['loss_w0.25'],
                               kd_loss(student, teacher, 2.0))
    with model.width(1.0):
        hard = model.head.loss(model.extract_feat(inputs), samples)['loss']
    torch.testing.assert_close(losses['loss_w1.0'], hard)
    # Width 1.0's own BN gets no gradient from the narrow, detached target.
    losses['loss_w0.25'].backward()
    assert model.backbone.bn1.weight.grad is None
    assert model.backbone.bn1.narrow_bns['0_25'].weight.grad is not None


def test_loss_under_bfloat16_autocast():
    torch.manual_seed(0)
    model = build(tiny_resnet_cfg(inplace_distill=True))
    inputs, samples = fake_batch()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        losses = model.loss(inputs, samples)
    total = sum(value for key, value in losses.items() if 'loss' in key)
    total.backward()
    assert torch.isfinite(total)
    assert torch.isfinite(model.backbone.conv1.weight.grad).all()


def test_predict_stores_every_width():
    torch.manual_seed(0)
    model = build(tiny_resnet_cfg())
    model.eval()
    inputs, samples = fake_batch()
    model.set_width(0.5)
    results = model.predict(inputs, samples)
    assert model.active_width == 0.5
    for result in results:
        scores = result.pred_score_per_width
        assert list(scores) == list(WIDTHS)
        torch.testing.assert_close(scores[0.5], result.pred_score)
    with model.width(0.25):
        narrow = model(inputs).softmax(dim=1)
    torch.testing.assert_close(
        torch.stack([r.pred_score_per_width[0.25] for r in results]), narrow)
    assert not torch.allclose(narrow, torch.stack(
        [r.pred_score for r in results]))

    model.eval_all_widths = False
    result = model.predict(inputs)[0]
    assert 'pred_score_per_width' not in result


def test_extra_fixed_output():
    model = build(
        classifier_cfg(
            dict(
                type='VGG',
                depth=11,
                num_stages=2,
                dilations=(1, 1),
                out_indices=(1, )),
            128,
            fixed_output=['backbone.features.0']))
    assert model.backbone.features[0].conv.active_channels == 64
    model.set_width(0.25)
    assert model.backbone.features[0].conv.active_channels == 64
    assert model.backbone.features[2].conv.active_channels == 32


@pytest.fixture
def gloo_group(tmp_path):
    dist.init_process_group(
        'gloo',
        init_method=f'file://{tmp_path / "store"}',
        rank=0,
        world_size=1)
    yield
    dist.destroy_process_group()


def test_trains_under_ddp_and_sandwich_needs_unused_parameters(gloo_group):
    inputs, samples = fake_batch()
    data = dict(inputs=inputs, data_samples=samples)
    model = build(tiny_resnet_cfg(sandwich=0))
    ddp = MMDistributedDataParallel(module=model, find_unused_parameters=True)
    optim_wrapper = OptimWrapper(torch.optim.SGD(ddp.parameters(), lr=0.01))
    for _ in range(2):
        log_vars = ddp.train_step(data, optim_wrapper)
    assert {'loss_w0.25', 'loss_w1.0'} <= set(log_vars)

    strict = MMDistributedDataParallel(module=build(tiny_resnet_cfg(
        sandwich=0)))
    optim_wrapper = OptimWrapper(
        torch.optim.SGD(strict.parameters(), lr=0.01))
    strict.train_step(data, optim_wrapper)
    with pytest.raises(RuntimeError, match='find_unused_parameters'):
        strict.train_step(data, optim_wrapper)
