# Ablation: the slimmable teacher fine-tuned with in-place distillation
# (each narrow width also learns the widest width's soft predictions).
_base_ = ['slimmable_resnet20.py']

model = dict(inplace_distill=True, distill_temperature=1.0)
