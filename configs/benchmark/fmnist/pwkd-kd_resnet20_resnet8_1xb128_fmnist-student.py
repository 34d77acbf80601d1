# PWKD + KD, the recipe the benchmark's study chose on the validation part
# (docs/benchmarks/accuracy.md): the paper's four equal stages and LR
# restarts, each restart warmed up linearly over the first 10% of its
# stage. The paper's recipe is
# pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py.
_base_ = ['pwkd-kd-paper_resnet20_resnet8_1xb128_fmnist-student.py']

param_scheduler = dict(restart_warmup=0.1)
