# slimmable_resnet34_8xb32_in1k.py with in-place distillation (US-Nets):
# widths below 1.0 learn from the widest width's detached predictions
# instead of the labels. Same data, schedule and starting checkpoint.
_base_ = ['./slimmable_resnet34_8xb32_in1k.py']

model = dict(inplace_distill=True, distill_temperature=1.0)
