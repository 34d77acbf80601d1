from .pwkd_stage_hook import PWKDStageHook
from .rng_state_hook import RNGStateHook

__all__ = ['PWKDStageHook', 'RNGStateHook']
