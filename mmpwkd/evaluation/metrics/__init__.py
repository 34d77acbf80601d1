"""Metrics registered in ``mmpwkd.registry.METRICS``."""
from .per_width_accuracy import PerWidthAccuracy

__all__ = ['PerWidthAccuracy']
