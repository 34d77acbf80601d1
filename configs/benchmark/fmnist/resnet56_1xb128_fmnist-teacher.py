# The benchmark's larger teacher: a CIFAR-style resnet56 (0.86 M
# parameters, 3.1x the resnet20 teacher and 11x the resnet8 student),
# trained as the resnet20 teacher is, on the 50k images of the 'teacher'
# part. It widens the capacity gap a staged teacher is meant to bridge.
_base_ = ['resnet20_1xb128_fmnist-teacher.py']

model = dict(backbone=dict(arch='resnet56'))
