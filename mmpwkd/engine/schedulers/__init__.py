from .stage_cosine_lr import StageCosineLR

__all__ = ['StageCosineLR']
