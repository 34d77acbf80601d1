# Ablation: the four PWKD stages under one cosine LR cycle (no restart).
_base_ = ['pwkd_kd_resnet20_resnet8.py']

param_scheduler = dict(
    _delete_=True,
    type='CosineAnnealingLR',
    by_epoch=True,
    T_max={{_base_.epochs}},
    convert_to_iter_based=True)
