"""BatchedClsDataPreprocessor gives what mmpretrain's ClsDataPreprocessor
gives, setting by setting."""
from typing import Callable, List

import numpy as np
import pytest
import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample, MultiTaskDataSample

from mmpwkd.models.data_preprocessors import (BatchedClsDataPreprocessor,
                                              ClsDataSampleList,
                                              batch_gt_label)
from mmpwkd.registry import MODELS
from mmpwkd.utils import register_all_modules

register_all_modules()

BATCH, CLASSES = 6, 5
MEAN, STD = [10.0, 20.0, 30.0], [2.0, 3.0, 4.0]


def single_labels() -> List[DataSample]:
    return [DataSample().set_gt_label(i % CLASSES) for i in range(BATCH)]


def multi_labels() -> List[DataSample]:
    # Variable lengths, an empty one and a repeated label, which
    # mmpretrain's one-hot counts twice.
    labels = [[0, 2], [], [1], [3, 3, 4], [4], [0, 1, 2]]
    return [DataSample().set_gt_label(label) for label in labels]


def loaded_scores() -> List[DataSample]:
    scores = torch.rand(
        BATCH, CLASSES, generator=torch.Generator().manual_seed(1))
    return [
        DataSample().set_gt_label(i % CLASSES).set_gt_score(score)
        for i, score in enumerate(scores)
    ]


def no_labels() -> List[DataSample]:
    return [DataSample() for _ in range(BATCH)]


def images(channels: int = 3, size: int = 7) -> torch.Tensor:
    return torch.randint(
        0, 256, (BATCH, channels, size, size),
        generator=torch.Generator().manual_seed(0)).to(torch.uint8)


def run_both(cfg: dict, samples: Callable[[], List[DataSample]],
             inputs: Callable[[], object] = images,
             training: bool = True) -> tuple:
    """Each preprocessor on its own copy of the same batch, from the same
    random state (batch augmentations draw from numpy and torch)."""
    outs = []
    for kind in (ClsDataPreprocessor, BatchedClsDataPreprocessor):
        np.random.seed(0)
        torch.manual_seed(0)
        outs.append(kind(**cfg)(
            dict(inputs=inputs(), data_samples=samples()), training))
    return tuple(outs)


def assert_same(expected: dict, got: dict) -> None:
    assert torch.equal(expected['inputs'], got['inputs'])
    assert expected['inputs'].dtype == got['inputs'].dtype
    assert len(expected['data_samples']) == len(got['data_samples'])
    for old, new in zip(expected['data_samples'], got['data_samples']):
        assert set(old.keys()) == set(new.keys())
        assert old.metainfo == new.metainfo
        for key in ('gt_label', 'gt_score'):
            if key in old:
                assert old.get(key).dtype == new.get(key).dtype, key
                assert old.get(key).device == new.get(key).device, key
                assert torch.equal(old.get(key), new.get(key)), key


@pytest.mark.parametrize('cfg', [
    dict(),
    dict(mean=MEAN, std=STD),
    dict(mean=MEAN, std=STD, to_rgb=True),
    dict(mean=MEAN, std=STD, pad_size_divisor=4, pad_value=1.5),
    dict(to_onehot=True, num_classes=CLASSES),
], ids=['plain', 'normalise', 'to_rgb', 'pad', 'onehot'])
@pytest.mark.parametrize(
    'samples', [single_labels, multi_labels, loaded_scores, no_labels],
    ids=['single', 'multi', 'scores', 'unlabelled'])
def test_same_as_mmpretrain(cfg: dict, samples: Callable) -> None:
    assert_same(*run_both(cfg, samples))


@pytest.mark.parametrize('augment', [
    dict(type='Mixup', alpha=0.8),
    dict(type='CutMix', alpha=1.0),
])
@pytest.mark.parametrize('training', [True, False])
def test_batch_augments_as_mmpretrain(augment: dict, training: bool) -> None:
    cfg = dict(
        mean=MEAN, std=STD, num_classes=CLASSES,
        batch_augments=dict(augments=[augment]))
    expected, got = run_both(cfg, single_labels, training=training)
    assert_same(expected, got)
    # Without mixing the scores would be one-hot: make sure they are not.
    mixed = torch.stack([s.gt_score for s in got['data_samples']])
    assert training == bool((mixed % 1 != 0).any())


def test_pseudo_collated_images_as_mmpretrain() -> None:
    """Lists of differently sized images are stacked with padding."""

    def ragged() -> List[torch.Tensor]:
        return [image[:, :5 + i % 3, :6] for i, image in enumerate(images())]

    cfg = dict(mean=MEAN, std=STD, to_rgb=True, pad_size_divisor=4)
    assert_same(*run_both(cfg, single_labels, inputs=ragged))


def test_multi_task_samples_go_to_mmpretrain() -> None:
    samples = [MultiTaskDataSample() for _ in range(BATCH)]
    out = BatchedClsDataPreprocessor()(
        dict(inputs=images(), data_samples=samples))
    # mmpretrain's path: it casts them to the device, which copies them.
    assert len(out['data_samples']) == BATCH
    assert all(
        isinstance(s, MultiTaskDataSample) for s in out['data_samples'])
    assert not isinstance(out['data_samples'], ClsDataSampleList)


def test_without_samples() -> None:
    out = BatchedClsDataPreprocessor(mean=MEAN, std=STD)(
        dict(inputs=images()))
    assert out['data_samples'] is None
    assert out['inputs'].shape == (BATCH, 3, 7, 7)


def test_labels_batched_once_for_the_loss() -> None:
    """The head's concatenation and the list's batched label agree; the
    labels stay the loaded tensors when nothing moves."""
    samples = multi_labels()
    loaded = [sample.gt_label for sample in samples]
    out = BatchedClsDataPreprocessor()(
        dict(inputs=images(), data_samples=samples))
    batch = out['data_samples']
    assert isinstance(batch, ClsDataSampleList) and isinstance(batch, list)
    assert torch.equal(batch.gt_label, torch.cat(loaded))
    assert batch_gt_label(batch) is batch.gt_label
    assert all(s.gt_label is label for s, label in zip(batch, loaded))


def test_batch_gt_label_of_plain_lists() -> None:
    samples = single_labels()
    assert torch.equal(
        batch_gt_label(samples),
        torch.tensor([i % CLASSES for i in range(BATCH)]))
    assert batch_gt_label(no_labels()) is None
    assert batch_gt_label([]) is None


def test_onehot_needs_num_classes() -> None:
    with pytest.raises(ValueError, match='num_classes'):
        BatchedClsDataPreprocessor(to_onehot=True)(
            dict(inputs=images(), data_samples=single_labels()))


def test_num_classes_metainfo_must_agree() -> None:
    samples = single_labels()
    samples[2].set_metainfo(dict(num_classes=CLASSES + 1))
    with pytest.raises(ValueError, match=f'num_classes={CLASSES + 1}'):
        BatchedClsDataPreprocessor(to_onehot=True, num_classes=CLASSES)(
            dict(inputs=images(), data_samples=samples))


def test_built_from_config() -> None:
    model = MODELS.build(
        dict(type='BatchedClsDataPreprocessor', mean=MEAN, std=STD,
             to_rgb=True, num_classes=CLASSES))
    assert isinstance(model, BatchedClsDataPreprocessor)
    assert model.to_rgb and model.num_classes == CLASSES


def test_default_of_classifiers_in_our_scope() -> None:
    """An mmpretrain classifier built under the mmpwkd scope takes it by
    name, as our configs give it."""
    classifier = MODELS.build(
        dict(
            type='ImageClassifier',
            backbone=dict(type='ResNet', depth=18, base_channels=8,
                          stem_channels=8),
            data_preprocessor=dict(type='BatchedClsDataPreprocessor')))
    assert isinstance(classifier.data_preprocessor,
                      BatchedClsDataPreprocessor)
