"""Data preprocessors: mmpretrain's, with cheaper label handling."""
from .batched_cls_data_preprocessor import (BatchedClsDataPreprocessor,
                                            ClsDataSampleList, batch_gt_label)

__all__ = [
    'BatchedClsDataPreprocessor', 'ClsDataSampleList', 'batch_gt_label'
]
