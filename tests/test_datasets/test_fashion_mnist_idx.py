import re
import struct
from pathlib import Path

import numpy as np
import pytest
import torch
from idx_writer import write_idx, write_raw

from mmpwkd.datasets import FashionMNISTIDX
from mmpwkd.registry import DATASETS
from mmpwkd.utils import register_all_modules

FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte',
         't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')


def build(**kwargs) -> FashionMNISTIDX:
    register_all_modules()
    return DATASETS.build(dict(type='FashionMNISTIDX', **kwargs))


@pytest.fixture
def fashion_arrays() -> dict:
    """Tiny train (6 images) and test (4 images) splits of 5x4 pixels.

    The splits differ in content, so a test can tell which one was read.
    """
    rng = np.random.default_rng(0)
    return dict(
        train=(rng.integers(0, 128, (6, 5, 4), dtype=np.uint8),
               np.array([0, 1, 2, 3, 4, 9], dtype=np.uint8)),
        test=(rng.integers(128, 256, (4, 5, 4), dtype=np.uint8),
              np.array([9, 8, 7, 5], dtype=np.uint8)))


@pytest.fixture
def fashion_root(tmp_path: Path, fashion_arrays: dict) -> Path:
    """A folder with the four gzipped Fashion-MNIST files, made tiny."""
    for split, prefix in (('train', 'train'), ('test', 't10k')):
        images, labels = fashion_arrays[split]
        write_idx(tmp_path / f'{prefix}-images-idx3-ubyte.gz', images)
        write_idx(tmp_path / f'{prefix}-labels-idx1-ubyte.gz', labels)
    return tmp_path


@pytest.mark.parametrize('split', ['train', 'test'])
@pytest.mark.parametrize('test_mode', [False, True])
def test_split_reads_its_own_files(fashion_root, fashion_arrays, split,
                                   test_mode):
    images, labels = fashion_arrays[split]

    dataset = build(
        data_root=str(fashion_root), split=split, test_mode=test_mode)

    assert isinstance(dataset, FashionMNISTIDX)
    assert len(dataset) == len(labels)
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        assert info['img'].shape == (5, 4, 1)
        assert info['img'].dtype == np.uint8
        np.testing.assert_array_equal(info['img'][..., 0], images[index])
        assert info['gt_label'] == labels[index]
    np.testing.assert_array_equal(dataset.get_gt_labels(), labels)


FASHION = dict(classes=FashionMNISTIDX.FASHION_MNIST_CLASSES)


def test_class_names_come_from_the_config(fashion_root):
    dataset = build(data_root=str(fashion_root), metainfo=FASHION)

    assert len(dataset.CLASSES) == 10
    assert dataset.CLASSES[0] == 'T-shirt/top'
    assert dataset.CLASSES[9] == 'Ankle boot'


def test_other_idx_data_is_not_named_as_fashion_mnist(fashion_root):
    """Another data set in the same four files (labels 0..9 here): without
    names in the config, its classes are named by their labels."""
    dataset = build(data_root=str(fashion_root))

    assert dataset.CLASSES == tuple(str(label) for label in range(10))


def test_fashion_mnist_configs_name_their_classes_and_statistics():
    from mmengine.config import Config
    cfg = Config.fromfile(str(
        Path(__file__).parents[2] / 'configs' / 'benchmark' / 'fmnist' /
        'resnet8_1xb128_fmnist-student.py'))
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.metainfo.classes == \
            FashionMNISTIDX.FASHION_MNIST_CLASSES
    assert cfg.data_preprocessor.mean == cfg.fashion_mnist.mean


def test_pixel_statistics_of_the_data(fashion_root, fashion_arrays):
    images = fashion_arrays['train'][0].astype(np.float64)
    mean, std = build(data_root=str(fashion_root)).pixel_statistics()
    assert mean == pytest.approx(images.mean())
    assert std == pytest.approx(images.std())


def test_default_root_is_debian_location():
    dataset = build(lazy_init=True)

    assert dataset.data_root == '/usr/share/datasets/fashion-mnist'


def test_uncompressed_files_are_accepted(tmp_path, fashion_arrays):
    images, labels = fashion_arrays['test']
    write_idx(tmp_path / 't10k-images-idx3-ubyte', images)
    write_idx(tmp_path / 't10k-labels-idx1-ubyte', labels)

    dataset = build(data_root=str(tmp_path), split='test')

    np.testing.assert_array_equal(dataset.get_gt_labels(), labels)


def test_indices_select_a_subset(fashion_root, fashion_arrays):
    images, labels = fashion_arrays['train']

    dataset = build(data_root=str(fashion_root), indices=[4, 1])

    assert len(dataset) == 2
    np.testing.assert_array_equal(dataset[0]['img'][..., 0], images[4])
    assert dataset.get_data_info(1)['gt_label'] == labels[1]


def test_samples_do_not_alias_the_decoded_array(fashion_root):
    dataset = build(data_root=str(fashion_root))
    original = dataset.get_data_info(0)['img'].copy()

    dataset.get_data_info(0)['img'][:] = 0

    np.testing.assert_array_equal(dataset.get_data_info(0)['img'], original)


def test_feeds_an_mmpretrain_pipeline(fashion_root, fashion_arrays):
    labels = fashion_arrays['test'][1]
    pipeline = [
        dict(type='RandomCrop', crop_size=(5, 4), padding=1),
        dict(type='PackInputs'),
    ]

    dataset = build(
        data_root=str(fashion_root), split='test', pipeline=pipeline)
    sample = dataset[2]

    assert sample['inputs'].shape == (1, 5, 4)
    assert sample['inputs'].dtype == torch.uint8
    assert sample['data_samples'].gt_label.tolist() == [labels[2]]
    assert sample['data_samples'].img_shape == (5, 4)


def test_bad_split_is_rejected(fashion_root):
    with pytest.raises(ValueError, match="split must be one of.*'val'"):
        build(data_root=str(fashion_root), split='val')


@pytest.mark.parametrize('split,missing', [('train', FILES[0]),
                                           ('test', FILES[3])])
def test_missing_file_gives_install_hint(fashion_root, split, missing):
    (fashion_root / f'{missing}.gz').unlink()

    with pytest.raises(FileNotFoundError) as info:
        build(data_root=str(fashion_root), split=split)
    message = str(info.value)
    assert f'{missing}.gz' in message and str(fashion_root) in message
    assert 'sudo apt-get install -y dataset-fashion-mnist' in message
    assert 'data_root' in message
    assert all(f'{name}.gz' in message for name in FILES)


def test_image_label_count_mismatch(fashion_root):
    labels = fashion_root / 'train-labels-idx1-ubyte.gz'
    write_idx(labels, np.zeros(5, np.uint8))

    with pytest.raises(ValueError, match='holds 6 images but .* holds 5 '
                       'labels') as info:
        build(data_root=str(fashion_root))
    assert str(labels) in str(info.value)


def test_label_out_of_range(fashion_root):
    labels = fashion_root / 't10k-labels-idx1-ubyte.gz'
    write_idx(labels, np.array([1, 10, 2, 12], np.uint8))

    expected = (f'{labels}: 2 labels are outside [0, 10) for the 10 '
                'classes, the first at index 1 with value 10')
    with pytest.raises(ValueError, match=re.escape(expected)):
        build(data_root=str(fashion_root), split='test', metainfo=FASHION)


def test_labels_in_place_of_images(fashion_root):
    images = fashion_root / 'train-images-idx3-ubyte.gz'
    write_idx(images, np.zeros(6, np.uint8))

    with pytest.raises(ValueError, match=re.escape(
            f'{images}: expected uint8 images of shape (N, H, W)')):
        build(data_root=str(fashion_root))


def test_truncated_file_is_named(fashion_root):
    images = fashion_root / 'train-images-idx3-ubyte.gz'
    header = b'\x00\x00\x08\x03' + struct.pack('>3I', 6, 5, 4)
    write_raw(images, header + bytes(6 * 5 * 4 - 1))

    with pytest.raises(ValueError, match=re.escape(
            f'Truncated IDX file {images}')):
        build(data_root=str(fashion_root))


@pytest.fixture
def carved_root(tmp_path: Path) -> Path:
    """240 training images, 24 per class, and 10 test images."""
    rng = np.random.default_rng(1)
    labels = rng.permutation(np.arange(240) % 10).astype(np.uint8)
    images = rng.integers(0, 256, (240, 4, 4), dtype=np.uint8)
    write_idx(tmp_path / 'train-images-idx3-ubyte.gz', images)
    write_idx(tmp_path / 'train-labels-idx1-ubyte.gz', labels)
    write_idx(tmp_path / 't10k-images-idx3-ubyte.gz', images[:10])
    write_idx(tmp_path / 't10k-labels-idx1-ubyte.gz', labels[:10])
    return tmp_path


def _indices(dataset) -> set:
    return {dataset.get_data_info(i)['img_index']
            for i in range(len(dataset))}


def test_parts_are_disjoint_class_balanced_and_cover_the_split(carved_root):
    parts = {part: build(data_root=str(carved_root), part=part)
             for part in ('val', 'student', 'teacher')}
    assert [len(parts[p]) for p in ('val', 'student', 'teacher')] == \
        [20, 20, 200]
    for dataset in parts.values():
        counts = np.bincount(
            [dataset.get_data_info(i)['gt_label']
             for i in range(len(dataset))], minlength=10)
        assert len(set(counts)) == 1
    val, student, teacher = (_indices(parts[p])
                             for p in ('val', 'student', 'teacher'))
    assert not (val & student or val & teacher or student & teacher)
    assert val | student | teacher == set(range(240))
    again = build(data_root=str(carved_root), part='val')
    assert _indices(again) == val


def test_per_class_subsets_are_balanced_and_nested(carved_root):
    one = build(data_root=str(carved_root), part='student', per_class=1)
    two = build(data_root=str(carved_root), part='student', per_class=2)
    assert len(one) == 10 and len(two) == 20
    assert _indices(one) < _indices(two)
    assert 'Part: \tstudent (per class: 1)' in repr(one)


@pytest.mark.parametrize('kwargs, match', [
    (dict(part='holdout'), r"part must be None or one of \('val'"),
    (dict(part='val', split='test'), "split='test'"),
    (dict(per_class=2), 'needs a part'),
    (dict(part='val', per_class=0), 'positive int'),
])
def test_bad_parts_are_refused(carved_root, kwargs, match):
    with pytest.raises(ValueError, match=match):
        build(data_root=str(carved_root), **kwargs)


def test_a_subset_larger_than_the_part_is_refused(carved_root):
    with pytest.raises(ValueError, match='per_class=3 but part'):
        build(data_root=str(carved_root), part='student', per_class=3)


def test_a_subset_larger_than_a_class_names_it_and_its_count(tmp_path):
    """Class 3 has half the images of the others: 1 in the student part,
    where the others have 2."""
    labels = np.repeat(np.arange(10), 24).astype(np.uint8)
    labels = np.delete(labels, np.flatnonzero(labels == 3)[:12])
    images = np.zeros((len(labels), 4, 4), np.uint8)
    write_idx(tmp_path / 'train-images-idx3-ubyte.gz', images)
    write_idx(tmp_path / 'train-labels-idx1-ubyte.gz', labels)
    with pytest.raises(ValueError) as info:
        build(data_root=str(tmp_path), part='student', per_class=2,
              metainfo=FASHION)
    assert str(info.value).endswith(
        "fewer images of these classes (class: images): 3 ('Dress'): 1.")
