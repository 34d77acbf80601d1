# mmpwkd's runtime for the CIFAR-100 zoo. Only the last checkpoint is kept
# (the next step of the benchmark reads epoch_<max_epochs>.pth); the seed is
# 0 unless --cfg-options randomness.seed=S says otherwise.
_base_ = '../../_base_/default_runtime.py'

default_hooks = dict(
    checkpoint=dict(interval=10, max_keep_ckpts=1, save_last=True))
# Fixed 32x32 inputs: cuDNN's autotuner picks its kernels once.
env_cfg = dict(cudnn_benchmark=True)
randomness = dict(seed=0)
