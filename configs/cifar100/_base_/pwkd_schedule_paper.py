# PWKD on CIFAR-100 as the paper describes it: pwkd_schedule.py with the LR
# restarting straight at the base LR at each stage (no warm-up). To run a
# pair this way, put this file in place of pwkd_schedule.py in its PWKD
# leaf config's _base_.
_base_ = ['pwkd_schedule.py']

pwkd_param_scheduler = dict(restart_warmup=0.0)
