"""Evaluation metrics of mmpwkd."""
from .metrics import PerWidthAccuracy

__all__ = ['PerWidthAccuracy']
