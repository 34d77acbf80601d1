from .feature_recorder import FeatureRecorder
from .plain_teacher import materialise_width, record_input_channels
from .pwkd_distiller import PWKDDistiller
from .teacher_loading import load_teacher_checkpoint

__all__ = [
    'FeatureRecorder', 'PWKDDistiller', 'load_teacher_checkpoint',
    'materialise_width', 'record_input_channels'
]
