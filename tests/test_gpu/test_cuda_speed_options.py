"""The speed options on a CUDA GPU (``make test-gpu``): labels moved
to the GPU as mmpretrain moves them, bfloat16 without a loss scale.

Marked ``gpu``: the default run (``make test``, CI) deselects them.
"""
import pytest
import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from torch import nn

from mmpwkd.engine import MixedPrecisionOptimWrapper
from mmpwkd.models.data_preprocessors import (BatchedClsDataPreprocessor,
                                              batch_gt_label)

pytestmark = pytest.mark.gpu


def samples() -> list:
    labels = [[1], [0, 2], [], [3]]
    return [DataSample().set_gt_label(label) for label in labels]


@pytest.mark.parametrize('to_onehot', [False, True])
def test_labels_move_to_the_gpu_as_in_mmpretrain(to_onehot: bool) -> None:
    inputs = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    outs = [
        kind(to_onehot=to_onehot, num_classes=4).cuda()(
            dict(inputs=inputs, data_samples=samples()), True)
        for kind in (ClsDataPreprocessor, BatchedClsDataPreprocessor)
    ]
    for old, new in zip(*(out['data_samples'] for out in outs)):
        for key in ('gt_label', 'gt_score'):
            if key in old:
                assert new.get(key).device == old.get(key).device
                assert torch.equal(new.get(key), old.get(key)), key
    batched = outs[1]['data_samples']
    assert batch_gt_label(batched).is_cuda
    assert torch.equal(batch_gt_label(batched),
                       torch.cat([s.gt_label for s in batched]))


def test_bf16_step_without_a_host_sync() -> None:
    net = nn.Linear(8, 4).cuda()
    wrapper = MixedPrecisionOptimWrapper(
        dtype='bfloat16', optimizer=torch.optim.SGD(net.parameters(), lr=0.1))
    inputs = torch.randn(16, 8, device='cuda')
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode('error')
    try:
        with wrapper.optim_context(net):
            loss = net(inputs).float().square().mean()
        wrapper.update_params(loss)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert wrapper.loss_scaler is None
