from .stage_cosine_lr import StageCosineLR
from .stage_restarts import follow_stages

__all__ = ['StageCosineLR', 'follow_stages']
