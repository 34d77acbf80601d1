"""mmpretrain's ``ClsDataPreprocessor`` with its labels handled as one batch.

mmpretrain concatenates the samples' labels, then splits them again, formats
each piece and re-attaches it to its ``DataSample`` (``set_gt_label``), and
builds one-hot scores sample by sample; that Python work grows with the
batch and runs before the first kernel of a step. Here the
labels are concatenated once, one-hot scores are built by one scatter, and
a sample's ``gt_label`` is replaced only when the batch moved to another
device (then by a view of the batched tensor). The batched label travels
with the samples (:class:`ClsDataSampleList`) so that a loss needs no
second concatenation.
"""
from typing import List, Optional

import torch
from mmpretrain.models.utils import ClsDataPreprocessor
from mmpretrain.structures import DataSample
from torch import Tensor

from mmpwkd.registry import MODELS

__all__ = [
    'BatchedClsDataPreprocessor', 'ClsDataSampleList', 'batch_gt_label'
]


class ClsDataSampleList(list):
    """The batch's data samples (a plain ``list`` to every reader) and the
    concatenation of their ``gt_label`` on the batch's device.

    Args:
        samples (List[DataSample]): The data samples.
        gt_label (Tensor): Their labels, concatenated.
    """

    def __init__(self, samples: List[DataSample], gt_label: Tensor) -> None:
        super().__init__(samples)
        self.gt_label = gt_label


def batch_gt_label(data_samples: List[DataSample]) -> Optional[Tensor]:
    """The samples' ``gt_label`` concatenated, as a classification head
    reads them; None if they have none.

    Args:
        data_samples (List[DataSample]): From any data preprocessor.

    Returns:
        Tensor, optional: The batched labels, without a concatenation when
        :class:`BatchedClsDataPreprocessor` made the list. (A wrapper that
        rebuilds the list, such as DDP moving inputs to a GPU, loses it:
        then they are concatenated.)
    """
    if isinstance(data_samples, ClsDataSampleList):
        return data_samples.gt_label
    if not data_samples or 'gt_label' not in data_samples[0]:
        return None
    return torch.cat([sample.gt_label for sample in data_samples])


def _label_counts(samples: List[DataSample]) -> List[int]:
    """How many labels each sample has (``gt_label`` is 1-D)."""
    # torch.numel is a C function; len() of a tensor runs Python code,
    # 3x slower over a batch of 1024.
    return list(map(torch.numel, (sample.gt_label for sample in samples)))


@MODELS.register_module()
class BatchedClsDataPreprocessor(ClsDataPreprocessor):
    """A drop-in for mmpretrain's ``ClsDataPreprocessor`` whose label work
    does not loop over formatting calls.

    Images are processed by mmpretrain's code. The samples come back with
    the same ``gt_label``/``gt_score`` values, dtypes and devices as from
    mmpretrain, in a :class:`ClsDataSampleList`. Batch augmentations (mixup,
    cutmix) draw the same random numbers in the same order.

    Args:
        mean (Sequence[Number], optional): Pixel mean per channel.
            Defaults to None (no normalisation).
        std (Sequence[Number], optional): Pixel standard deviation per
            channel. Defaults to None.
        pad_size_divisor (int): Pad H and W to a multiple of this.
            Defaults to 1.
        pad_value (Number): The padded pixel value. Defaults to 0.
        to_rgb (bool): Flip BGR to RGB. Defaults to False.
        to_onehot (bool): Also set one-hot ``gt_score``s. Defaults to False.
        num_classes (int, optional): The number of classes, for one-hot
            scores. Defaults to None.
        batch_augments (dict, optional): ``augments`` and ``probs`` of
            mmpretrain's ``RandomBatchAugment``; turns ``to_onehot`` on.
            Defaults to None.
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        """Normalise, pad and flip the images as mmpretrain does, then
        batch the labels and apply the batch augmentations.

        Args:
            data (dict): ``inputs`` and ``data_samples`` from the loader.
            training (bool): Apply the batch augmentations.
                Defaults to False.

        Returns:
            dict: ``inputs`` and ``data_samples`` for the model.
        """
        samples = data.get('data_samples', None)
        if not samples or not isinstance(samples[0], DataSample):
            # No labels, or multi-task samples: mmpretrain's own path.
            return super().forward(data, training)
        inputs = super().forward(dict(inputs=data['inputs']),
                                 training)['inputs']
        labels = self._batch_labels(
            samples) if 'gt_label' in samples[0] else None
        score = self._batch_scores(samples, labels)
        if training and self.batch_augments is not None and (score
                                                             is not None):
            inputs, score = self.batch_augments(inputs, score)
        if score is not None:
            self._attach_scores(samples, score)
        if labels is None:
            return dict(inputs=inputs, data_samples=samples)
        return dict(
            inputs=inputs, data_samples=ClsDataSampleList(samples, labels))

    def _batch_labels(self, samples: List[DataSample]) -> Tensor:
        """The labels, concatenated on this device; the samples' own are
        replaced by views only if the batch moved (as mmpretrain's are)."""
        loaded = torch.cat([sample.gt_label for sample in samples])
        labels = loaded.to(self.device)
        if labels is not loaded:
            for sample, label in zip(samples,
                                     labels.split(_label_counts(samples))):
                sample.gt_label = label
        return labels

    def _batch_scores(self, samples: List[DataSample],
                      labels: Optional[Tensor]) -> Optional[Tensor]:
        """Loaded scores stacked, or one-hot scores built from the labels
        in one scatter (a multi-label sample counts each of its labels, as
        in mmpretrain); None if neither."""
        if 'gt_score' in samples[0]:
            return torch.stack([sample.gt_score
                                for sample in samples]).to(self.device)
        if not self.to_onehot or labels is None:
            return None
        num_classes = self.num_classes or samples[0].get('num_classes')
        if num_classes is None:
            raise ValueError('BatchedClsDataPreprocessor: to_onehot (or '
                             'batch_augments) needs num_classes: set '
                             'data_preprocessor.num_classes, got None')
        sizes = torch.tensor(_label_counts(samples), device=labels.device)
        rows = torch.repeat_interleave(
            torch.arange(len(samples), device=labels.device), sizes)
        onehot = labels.new_zeros(len(samples), num_classes, dtype=torch.long)
        return onehot.index_put_((rows, labels),
                                 torch.ones_like(rows),
                                 accumulate=True)

    @staticmethod
    def _attach_scores(samples: List[DataSample], score: Tensor) -> None:
        """Each sample's row of ``score`` as its ``gt_score``, with the
        ``num_classes`` metainfo that ``DataSample.set_gt_score`` keeps."""
        num_classes = score.size(1)
        for sample, row in zip(samples, score.unbind(0)):
            sample.gt_score = row
            if 'num_classes' not in sample:
                sample.set_metainfo(dict(num_classes=num_classes))
            elif sample.num_classes != num_classes:
                raise ValueError(
                    f'BatchedClsDataPreprocessor: gt_score has '
                    f'{num_classes} classes, but a data sample says '
                    f'num_classes={sample.num_classes}')
