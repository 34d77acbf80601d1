"""Top-k accuracy of every width of a slimmable classifier.

A good slimmable teacher is monotone in width (Yu et al., "Slimmable Neural
Networks", ICLR 2019); this metric reports the accuracy of each width from
one evaluation pass.
"""
from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import BaseMetric

from mmpwkd.registry import METRICS
from mmpwkd.utils.arg_checks import check_positive_int

__all__ = ['PerWidthAccuracy']


@METRICS.register_module()
class PerWidthAccuracy(BaseMetric):
    """Top-k accuracy per width, from ``pred_score_per_width``.

    :class:`SlimmableClassifier` with ``eval_all_widths=True`` stores the
    scores of every width on each data sample. Each sample is reduced to
    whether its label is in the top k at each width, so memory does not grow
    with the number of classes. Reports ``accuracy/top{k}_w{width}`` in
    percent.

    Args:
        topk (int | Sequence[int]): The k of top-k accuracy.
            Defaults to ``(1, )``.
        collect_device (str): Device to collect results across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names. Defaults to
            None, meaning ``'accuracy'``.
        score_field (str): The data-sample field holding width to scores;
            :class:`PWKDDistiller` with ``eval_teacher=True`` fills
            ``'teacher_score_per_width'``. Defaults to
            ``'pred_score_per_width'``.
        width_in_name (bool): Name the metrics ``top{k}_w{width}``. With
            False, every sample must hold the same single width, reported
            as ``top{k}`` plus ``width``: for a teacher whose width changes
            between validations, since mmengine's logs keep every name ever
            reported. Defaults to True.
    """

    default_prefix: Optional[str] = 'accuracy'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, ),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 score_field: str = 'pred_score_per_width',
                 width_in_name: bool = True) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.score_field = score_field
        self.width_in_name = width_in_name
        topk = (topk, ) if isinstance(topk, int) else tuple(topk)
        if not topk:
            raise ValueError('PerWidthAccuracy: topk must be a positive int '
                             'or a non-empty sequence of them, got ()')
        self.topk = tuple(
            check_positive_int('PerWidthAccuracy', 'topk', k) for k in topk)

    def process(self, data_batch: object,
                data_samples: Sequence[dict]) -> None:
        """Record, per width, whether each label is in the top k.

        Args:
            data_batch (object): Unused.
            data_samples (Sequence[dict]): Predictions with
                ``score_field`` and ``gt_label``.
        """
        maxk = max(self.topk)
        for data_sample in data_samples:
            scores = data_sample.get(self.score_field)
            if scores is None:
                raise KeyError(
                    f'PerWidthAccuracy needs "{self.score_field}" in the '
                    'predictions: evaluate a SlimmableClassifier with '
                    'eval_all_widths=True, or a PWKDDistiller with '
                    'eval_teacher=True and score_field='
                    '"teacher_score_per_width"')
            label = data_sample['gt_label'].cpu().view(-1)[0]
            hits = {}
            for width, score in scores.items():
                if maxk > score.numel():
                    raise ValueError(f'PerWidthAccuracy: topk {self.topk} '
                                     f'exceeds the {score.numel()} classes')
                ranked = score.cpu().topk(maxk).indices
                hits[width] = torch.tensor(
                    [bool((ranked[:k] == label).any()) for k in self.topk])
            self.results.append(hits)

    def compute_metrics(self, results: List[Dict]) -> Dict[str, float]:
        """Average the hits of every width.

        Args:
            results (List[dict]): Width to hits per sample.

        Returns:
            dict[str, float]: ``top{k}_w{width}`` in percent, or
            ``top{k}`` and ``width`` without ``width_in_name``.
        """
        widths = sorted(results[0])
        if not self.width_in_name:
            seen = sorted({w for result in results for w in result})
            if len(seen) != 1:
                raise ValueError('PerWidthAccuracy(width_in_name=False) '
                                 f'needs one width, the results hold {seen}')
        metrics = {}
        for width in widths:
            hits = torch.stack([result[width] for result in results]).float()
            suffix = f'_w{width}' if self.width_in_name else ''
            for k, accuracy in zip(self.topk, hits.mean(dim=0) * 100):
                metrics[f'top{k}{suffix}'] = accuracy.item()
        if not self.width_in_name:
            metrics['width'] = widths[0]
        return metrics
