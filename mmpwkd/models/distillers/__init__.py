from ..feature_recorder import FeatureRecorder
from .pwkd_distiller import PWKDDistiller
from .teacher_loading import load_teacher_checkpoint

__all__ = ['FeatureRecorder', 'PWKDDistiller', 'load_teacher_checkpoint']
