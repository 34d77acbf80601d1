import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.structures import DataSample

from mmpwkd.registry import METRICS, MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()


def _sample(label: int, scores: dict) -> dict:
    sample = DataSample().set_gt_label(label)
    sample.pred_score_per_width = {
        width: torch.tensor(score)
        for width, score in scores.items()
    }
    return sample.to_dict()


def test_accuracy_per_width_and_k():
    metric = METRICS.build(dict(type='PerWidthAccuracy', topk=(1, 2)))
    samples = [
        _sample(0, {0.5: [0.5, 0.4, 0.1], 1.0: [0.9, 0.05, 0.05]}),
        _sample(1, {0.5: [0.5, 0.4, 0.1], 1.0: [0.2, 0.7, 0.1]}),
        _sample(2, {0.5: [0.5, 0.4, 0.1], 1.0: [0.1, 0.5, 0.4]}),
        _sample(2, {0.5: [0.1, 0.2, 0.7], 1.0: [0.1, 0.2, 0.7]}),
    ]
    metric.process(None, samples)
    assert metric.evaluate(len(samples)) == {
        'accuracy/top1_w0.5': 50.0,
        'accuracy/top2_w0.5': 75.0,
        'accuracy/top1_w1.0': 75.0,
        'accuracy/top2_w1.0': 100.0,
    }


def test_rejects_bad_topk_and_missing_scores():
    with pytest.raises(ValueError, match='topk must be a positive int'):
        METRICS.build(dict(type='PerWidthAccuracy', topk=(0, )))
    metric = METRICS.build(dict(type='PerWidthAccuracy', topk=5))
    with pytest.raises(ValueError, match=r'topk \(5,\) exceeds the 3'):
        metric.process(None, [_sample(0, {1.0: [0.2, 0.3, 0.5]})])
    plain = DataSample().set_gt_label(0).set_pred_score(torch.ones(3))
    with pytest.raises(KeyError, match='eval_all_widths=True'):
        metric.process(None, [plain.to_dict()])


def test_evaluates_a_slimmable_classifier_beside_accuracy():
    import mmpwkd.models.slimmable  # noqa: F401
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='SlimmableClassifier',
            widths=(0.5, 1.0),
            backbone=dict(
                type='ResNet_CIFAR',
                depth=18,
                stem_channels=8,
                base_channels=8,
                num_stages=1,
                strides=(1, ),
                dilations=(1, ),
                out_indices=(0, )),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=8)))
    model.eval()
    evaluator = Evaluator([
        dict(type='PerWidthAccuracy'),
        dict(type='Accuracy', topk=(1, ))
    ])
    inputs = torch.randn(6, 3, 8, 8)
    samples = [DataSample().set_gt_label(i % 3) for i in range(6)]
    with torch.no_grad():
        evaluator.process(model.predict(inputs, samples))
    metrics = evaluator.evaluate(6)
    assert set(metrics) == {
        'accuracy/top1_w0.5', 'accuracy/top1_w1.0', 'accuracy/top1'
    }
    assert metrics['accuracy/top1'] == pytest.approx(
        metrics['accuracy/top1_w1.0'])
    with model.width(0.5):
        labels = model(inputs).argmax(dim=1)
    expected = (labels == torch.arange(6) % 3).float().mean() * 100
    assert metrics['accuracy/top1_w0.5'] == pytest.approx(expected.item())
