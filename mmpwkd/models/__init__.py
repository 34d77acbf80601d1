from .backbones import (CIFARVGG, CIFARMobileNetV2, CIFARResNet,
                        CIFARShuffleNetV1, CIFARShuffleNetV2, CIFARWideResNet)
from .connectors import ConvConnector
from .data_preprocessors import BatchedClsDataPreprocessor
from .distillers import PWKDDistiller
from .losses import (ATLoss, DISTLoss, DKDLoss, FitNetLoss, KDLoss, PKTLoss,
                     RKDLoss, SPLoss)
from .slimmable import SlimmableClassifier

__all__ = [
    'ATLoss', 'BatchedClsDataPreprocessor', 'CIFARMobileNetV2', 'CIFARResNet',
    'CIFARShuffleNetV1', 'CIFARShuffleNetV2', 'CIFARVGG', 'CIFARWideResNet',
    'ConvConnector', 'DISTLoss', 'DKDLoss', 'FitNetLoss', 'KDLoss', 'PKTLoss',
    'PWKDDistiller', 'RKDLoss', 'SPLoss', 'SlimmableClassifier'
]
