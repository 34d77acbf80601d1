"""PWKDDistiller's speed options: batched labels by default, and
a compiled teacher that gives the eager teacher's logits."""
from typing import List

import pytest
import torch
from mmpretrain.structures import DataSample
from test_pwkd_distiller import NUM_CLASSES, classifier

from mmpwkd.models import BatchedClsDataPreprocessor, PWKDDistiller
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

def distiller(**kwargs) -> PWKDDistiller:
    # DKD reads the labels, so the batched target is used.
    cfg = dict(
        type='PWKDDistiller',
        student=classifier(18, 4),
        teacher=classifier(18, 8),
        distill_losses=dict(loss_dkd=dict(type='DKDLoss')))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def data(n: int = 6) -> dict:
    torch.manual_seed(0)
    return dict(
        inputs=torch.randint(0, 256, (n, 3, 16, 16), dtype=torch.uint8),
        data_samples=[
            DataSample().set_gt_label(i % NUM_CLASSES) for i in range(n)
        ])


def losses(model: PWKDDistiller) -> dict:
    model.train()
    batch = model.data_preprocessor(data(), True)
    return model(**batch, mode='loss')


def test_batched_preprocessor_is_the_default_and_changes_no_loss() -> None:
    preprocess = dict(mean=[1.0, 2.0, 3.0], std=[50.0, 60.0, 70.0])
    batched = distiller(data_preprocessor=preprocess)
    assert isinstance(batched.data_preprocessor, BatchedClsDataPreprocessor)
    stock = distiller(
        data_preprocessor=dict(preprocess, type='ClsDataPreprocessor'))
    assert type(stock.data_preprocessor).__name__ == 'ClsDataPreprocessor'
    stock.load_state_dict(batched.state_dict())
    expected, got = losses(stock), losses(batched)
    assert set(expected) == set(got)
    assert {'student.loss', 'distill.loss_dkd'} <= set(got)
    for key in expected:
        assert torch.equal(expected[key], got[key]), key


@pytest.mark.parametrize('value', ['yes', 1, None])
def test_compile_teacher_refuses_other_values(value: object) -> None:
    with pytest.raises(ValueError, match='compile_teacher'):
        distiller(compile_teacher=value)


def teacher_logits(model: PWKDDistiller, inputs: torch.Tensor,
                   widths: List[float]) -> List[torch.Tensor]:
    found = []
    for width in widths:
        model.set_teacher_width(width)
        with torch.no_grad():
            # The first forward at a width compiles; the second is the
            # compiled steady state.
            model._outputs('teacher', inputs)
            found.append(model._outputs('teacher', inputs)[0]['logits'])
    return found


def test_compiled_teacher_gives_the_eager_logits() -> None:
    """Inductor on the CPU, a slimmable teacher at a narrow width. Tiny on
    purpose: compiling one graph takes most of this test's ~30 s on 2
    cores."""
    eager = distiller(teacher=classifier(18, 8, slimmable=True),
                      distill_losses=None)
    compiled = distiller(teacher=classifier(18, 8, slimmable=True),
                         distill_losses=None, compile_teacher=True)
    compiled.load_state_dict(eager.state_dict())
    torch._dynamo.reset()
    inputs = torch.randn(2, 3, 16, 16)
    expected = teacher_logits(eager, inputs, [0.5])
    got = teacher_logits(compiled, inputs, [0.5])
    torch.testing.assert_close(got[0], expected[0], rtol=1e-4, atol=1e-4)
    # The teacher at width 0.5 ran as a dynamo graph.
    assert torch._dynamo.utils.counters['stats']['unique_graphs'] >= 1
