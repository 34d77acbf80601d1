# PWKD + KD on CIFAR-100 as the paper describes it: pwkd_kd.py with the LR
# restarting straight at the base LR at each stage (no warm-up). To run a
# pair this way, point its leaf config's _base_ here.
_base_ = ['pwkd_kd.py']

param_scheduler = dict(restart_warmup=0.0)
