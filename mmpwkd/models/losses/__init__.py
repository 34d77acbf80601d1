from .at_loss import ATLoss, at_loss, attention_map
from .dist_loss import DISTLoss, dist_loss
from .dkd_loss import DKDLoss, dkd_loss
from .fitnet_loss import FitNetLoss, fitnet_loss
from .kd_loss import KDLoss, kd_loss
from .pkt_loss import PKTLoss, pkt_loss
from .rkd_loss import RKDLoss, rkd_loss
from .sp_loss import SPLoss, similarity_matrix, sp_loss

__all__ = [
    'ATLoss', 'DISTLoss', 'DKDLoss', 'FitNetLoss', 'KDLoss', 'PKTLoss',
    'RKDLoss', 'SPLoss', 'at_loss', 'attention_map', 'dist_loss', 'dkd_loss',
    'fitnet_loss', 'kd_loss', 'pkt_loss', 'rkd_loss', 'similarity_matrix',
    'sp_loss'
]
