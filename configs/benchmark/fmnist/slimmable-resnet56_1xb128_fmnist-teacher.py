# The larger teacher rebuilt as a slimmable network (widths
# 0.25/0.5/0.75/1.0) and fine-tuned jointly for 3 epochs on the 'teacher'
# part, from the plain resnet56 (load_from is set by the benchmark tool).
_base_ = ['slimmable-resnet20_1xb128_fmnist-teacher.py']

model = dict(backbone=dict(arch='resnet56'))
