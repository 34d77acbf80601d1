"""Fashion-MNIST read straight from its gzipped IDX files.

Xiao, Rasul, Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms", arXiv 1708.07747 (2017).

Unlike mmpretrain's ``FashionMNIST``, this dataset reads the ``.gz`` files
as distributed (the Debian package ``dataset-fashion-mnist`` installs them
under ``/usr/share/datasets/fashion-mnist``), never downloads, and chooses
the official split by ``split`` alone: mmpretrain's class returns the
training set for ``split='test'`` unless ``test_mode=True`` as well.

The official training split can also be carved into three fixed,
class-balanced, disjoint parts (``part``), the protocol of our accuracy
benchmark: ``'val'`` (1/12 of each class: 500 images per class of the 60k)
for choosing recipes, ``'student'`` (another 1/12) from which a student's
small training set is drawn (``per_class``), and ``'teacher'`` (the other
50k) for the teacher.
"""
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np
from mmpretrain.datasets import BaseDataset
from mmpretrain.datasets.categories import FASHIONMNIST_CATEGORITES

from mmpwkd.registry import DATASETS

from .idx_file import read_idx_file

__all__ = ['FashionMNISTIDX']

DEFAULT_DATA_ROOT = '/usr/share/datasets/fashion-mnist'
INSTALL_HINT = (
    'Install it with `sudo apt-get install -y dataset-fashion-mnist` (it '
    f'puts the files in {DEFAULT_DATA_ROOT}, the default data_root), or '
    'put the four files train-images-idx3-ubyte.gz, '
    'train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and '
    't10k-labels-idx1-ubyte.gz (gzipped or not) in any folder and pass '
    'that folder as data_root.')
# Share of each class in the carved parts; the teacher part has the rest.
PART_FRACTIONS = {'val': 1 / 12, 'student': 1 / 12}
PARTS = ('val', 'student', 'teacher')
PART_SEED = 0


def carve_parts(labels: np.ndarray) -> dict:
    """Split sample indices into the fixed, class-balanced parts.

    Each class's indices are shuffled once with a fixed seed; the first
    twelfth go to ``'val'``, the next twelfth to ``'student'``, the rest to
    ``'teacher'``. A part keeps its classes interleaved in that shuffled
    order, so the first ``k`` images of each class (``per_class``) form a
    class-balanced subset, nested in every larger one.

    Args:
        labels (np.ndarray): Label of every image of the split.

    Returns:
        dict: Part name -> list of per-class index arrays, in class order.
    """
    rng = np.random.RandomState(PART_SEED)
    parts = {name: [] for name in PARTS}
    for cls in range(int(labels.max()) + 1):
        indices = rng.permutation(np.flatnonzero(labels == cls))
        sizes = [max(1, round(len(indices) * PART_FRACTIONS[name]))
                 for name in ('val', 'student')]
        if sum(sizes) >= len(indices):
            raise ValueError(
                f'FashionMNISTIDX: class {cls} has {len(indices)} images, '
                'too few to carve one into each part.')
        parts['val'].append(indices[:sizes[0]])
        parts['student'].append(indices[sizes[0]:sum(sizes)])
        parts['teacher'].append(indices[sum(sizes):])
    return parts


@DATASETS.register_module()
class FashionMNISTIDX(BaseDataset):
    """Fashion-MNIST (60k train / 10k test, 28x28 grey, 10 classes).

    The images and labels of the chosen split are decoded once into numpy
    arrays that the dataset keeps; each sample gives ``img`` as an
    ``H x W x 1`` uint8 array and ``gt_label`` as an int, ready for
    mmpretrain pipelines (``RandomCrop``, ``PackInputs``, ...).

    Args:
        data_root (str): Folder of the IDX files, read as
            ``<name>.gz`` or, failing that, the uncompressed ``<name>``.
            Defaults to ``'/usr/share/datasets/fashion-mnist'``.
        split (str): The official split, ``'train'`` (files ``train-*``)
            or ``'test'`` (files ``t10k-*``), independent of
            ``test_mode``. Defaults to ``'train'``.
        metainfo (dict, optional): Meta information such as ``classes``;
            labels must index into its classes. Defaults to None: the
            classes are named by their labels (``'0'``, ``'1'``, ...), as
            the folder may hold any IDX data set; our Fashion-MNIST configs
            give Fashion-MNIST's names.
        part (str, optional): A part carved from the ``'train'`` split:
            ``'val'``, ``'student'`` or ``'teacher'`` (see
            :func:`carve_parts`). Defaults to None, the whole split.
        per_class (int, optional): Keep the first ``per_class`` images of
            each class of the part (a class-balanced subset, nested in
            every larger one). Defaults to None, all of them.
        **kwargs: Other arguments of :class:`mmpretrain.BaseDataset`, e.g.
            ``pipeline``, ``indices`` (a subset), ``test_mode``.
    """

    # The names the Fashion-MNIST configs give; not a default, since the
    # IDX files of another data set fit the same reader.
    FASHION_MNIST_CLASSES = tuple(FASHIONMNIST_CATEGORITES)
    SPLIT_FILES = {
        'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
        'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
    }

    def __init__(self,
                 data_root: str = DEFAULT_DATA_ROOT,
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 part: Optional[str] = None,
                 per_class: Optional[int] = None,
                 **kwargs) -> None:
        if split not in self.SPLIT_FILES:
            raise ValueError(
                f'FashionMNISTIDX: split must be one of '
                f'{sorted(self.SPLIT_FILES)}, got {split!r}.')
        if part is not None and (part not in PARTS or split != 'train'):
            raise ValueError(
                f'FashionMNISTIDX: part must be None or one of {PARTS} '
                f"(carved from split='train'), got part={part!r} with "
                f'split={split!r}.')
        if per_class is not None and (
                part is None or isinstance(per_class, bool)
                or not isinstance(per_class, int) or per_class < 1):
            raise ValueError(
                'FashionMNISTIDX: per_class must be a positive int and '
                f'needs a part, got per_class={per_class!r} with '
                f'part={part!r}.')
        self.split = split
        self.part = part
        self.per_class = per_class
        self._images: Optional[np.ndarray] = None
        super().__init__(
            ann_file='',
            metainfo=metainfo,
            data_root=osp.expanduser(data_root),
            **kwargs)

    def _find_file(self, name: str) -> str:
        """Path of ``name.gz`` or ``name`` in ``data_root``."""
        for candidate in (f'{name}.gz', name):
            path = osp.join(self.data_root, candidate)
            if osp.isfile(path):
                return path
        raise FileNotFoundError(
            f'Fashion-MNIST file {name}.gz (or uncompressed {name}) not '
            f'found in data_root {self.data_root!r}. {INSTALL_HINT}')

    def _load_split(self) -> Tuple[np.ndarray, np.ndarray]:
        """Decode and check the images and labels of ``self.split``."""
        image_name, label_name = self.SPLIT_FILES[self.split]
        image_path = self._find_file(image_name)
        label_path = self._find_file(label_name)
        images = read_idx_file(image_path)
        labels = read_idx_file(label_path)
        if images.ndim != 3 or images.dtype != np.uint8:
            raise ValueError(
                f'{image_path}: expected uint8 images of shape (N, H, W), '
                f'got {images.dtype.name} of shape {images.shape}.')
        if labels.ndim != 1 or labels.dtype != np.uint8:
            raise ValueError(
                f'{label_path}: expected uint8 labels of shape (N,), got '
                f'{labels.dtype.name} of shape {labels.shape}.')
        if len(images) != len(labels):
            raise ValueError(
                f'{image_path} holds {len(images)} images but {label_path} '
                f'holds {len(labels)} labels; they must match.')
        if not self._metainfo.get('classes'):
            self._metainfo['classes'] = tuple(
                str(label) for label in range(int(labels.max(initial=0)) + 1))
        num_classes = len(self.metainfo['classes'])
        out_of_range = np.flatnonzero(labels >= num_classes)
        if out_of_range.size:
            first = out_of_range[0]
            raise ValueError(
                f'{label_path}: {out_of_range.size} labels are outside '
                f'[0, {num_classes}) for the {num_classes} classes, the '
                f'first at index {first} with value {labels[first]}.')
        return images, labels

    def load_data_list(self) -> List[dict]:
        """Decode the split and list one light record per sample.

        Returns:
            list[dict]: ``img_index`` (row in the decoded image array) and
            ``gt_label`` of each sample; ``get_data_info`` adds the image.
        """
        images, labels = self._load_split()
        self._images = images
        indices = np.arange(len(labels))
        if self.part is not None:
            per_class = carve_parts(labels)[self.part]
            if self.per_class is not None:
                names = self.metainfo['classes']
                short = [f'{c} ({names[c]!r}): {len(idx)}'
                         for c, idx in enumerate(per_class)
                         if len(idx) < self.per_class]
                if short:
                    raise ValueError(
                        f'FashionMNISTIDX: per_class={self.per_class} but '
                        f'part {self.part!r} has fewer images of these '
                        f'classes (class: images): {", ".join(short)}.')
                per_class = [idx[:self.per_class] for idx in per_class]
            indices = np.sort(np.concatenate(per_class))
        return [
            dict(img_index=int(index), gt_label=int(labels[index]))
            for index in indices
        ]

    def pixel_statistics(self) -> Tuple[float, float]:
        """Mean and standard deviation of the pixels (0-255) of this
        dataset's images, for the data preprocessor's ``mean``/``std``.

        Returns:
            tuple[float, float]: Mean and standard deviation.
        """
        rows = [
            BaseDataset.get_data_info(self, idx)['img_index']
            for idx in range(len(self))
        ]
        pixels = self._images[rows].astype(np.float64)
        return float(pixels.mean()), float(pixels.std())

    def get_data_info(self, idx: int) -> dict:
        """The ``idx``-th sample with its image as ``H x W x 1`` uint8.

        Args:
            idx (int): Index of the sample.

        Returns:
            dict: ``img``, ``img_shape``, ``ori_shape``, ``gt_label``,
            ``img_index`` and ``sample_idx``.
        """
        info = super().get_data_info(idx)
        # A copy, so that in-place transforms never touch the shared array.
        img = self._images[info['img_index']][..., None].copy()
        info.update(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        return info

    def extra_repr(self) -> List[str]:
        """The split and data root, for ``repr``."""
        lines = [f'Split: \t{self.split}']
        if self.part is not None:
            lines.append(f'Part: \t{self.part} (per class: '
                         f'{self.per_class or "all"})')
        return lines + [f'Data root: \t{self.data_root}']
