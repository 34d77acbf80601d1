from .cifar_mobilenet_v2 import CIFARInvertedResidual, CIFARMobileNetV2
from .cifar_resnet import CIFARBasicBlock, CIFARResNet
from .cifar_shufflenet_v1 import CIFARShuffleNetV1, CIFARShuffleUnitV1
from .cifar_shufflenet_v2 import (
    CIFARDownUnitV2,
    CIFARShuffleNetV2,
    CIFARShuffleUnitV2,
)
from .cifar_vgg import CIFARVGG
from .cifar_wide_resnet import CIFARWideBasicBlock, CIFARWideResNet
from .utils import ChannelShuffle

__all__ = [
    'CIFARResNet', 'CIFARBasicBlock', 'CIFARWideResNet', 'CIFARWideBasicBlock',
    'CIFARVGG', 'CIFARMobileNetV2', 'CIFARInvertedResidual',
    'CIFARShuffleNetV1', 'CIFARShuffleUnitV1', 'CIFARShuffleNetV2',
    'CIFARShuffleUnitV2', 'CIFARDownUnitV2', 'ChannelShuffle'
]
