# PWKD + KD, ResNet34 -> ResNet18 on ImageNet, as the paper describes it:
# r34_r18_in1k.py with the LR restarting straight at the base LR at each
# stage (no warm-up).
_base_ = ['r34_r18_in1k.py']

param_scheduler = dict(restart_warmup=0.0)
