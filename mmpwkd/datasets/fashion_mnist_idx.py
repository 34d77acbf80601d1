"""Fashion-MNIST read straight from its gzipped IDX files.

Xiao, Rasul, Vollgraf, "Fashion-MNIST: a Novel Image Dataset for
Benchmarking Machine Learning Algorithms", arXiv 1708.07747 (2017).

Unlike mmpretrain's ``FashionMNIST``, this dataset reads the ``.gz`` files
as distributed (the Debian package ``dataset-fashion-mnist`` installs them
under ``/usr/share/datasets/fashion-mnist``), never downloads, and chooses
the official split by ``split`` alone: mmpretrain's class returns the
training set for ``split='test'`` unless ``test_mode=True`` as well.
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
            labels must index into its classes. Defaults to None, which
            uses the 10 Fashion-MNIST classes.
        **kwargs: Other arguments of :class:`mmpretrain.BaseDataset`, e.g.
            ``pipeline``, ``indices`` (a subset), ``test_mode``.
    """

    METAINFO = {'classes': FASHIONMNIST_CATEGORITES}
    SPLIT_FILES = {
        'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
        'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
    }

    def __init__(self,
                 data_root: str = DEFAULT_DATA_ROOT,
                 split: str = 'train',
                 metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        if split not in self.SPLIT_FILES:
            raise ValueError(
                f'FashionMNISTIDX: split must be one of '
                f'{sorted(self.SPLIT_FILES)}, got {split!r}.')
        self.split = split
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
        return [
            dict(img_index=index, gt_label=int(label))
            for index, label in enumerate(labels)
        ]

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
        return [f'Split: \t{self.split}', f'Data root: \t{self.data_root}']
