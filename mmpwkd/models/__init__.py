from .losses import (
                     ATLoss,
                     DISTLoss,
                     DKDLoss,
                     FitNetLoss,
                     KDLoss,
                     PKTLoss,
                     RKDLoss,
                     SPLoss,
)

__all__ = [
    'ATLoss', 'DISTLoss', 'DKDLoss', 'FitNetLoss', 'KDLoss', 'PKTLoss',
    'RKDLoss', 'SPLoss'
]
