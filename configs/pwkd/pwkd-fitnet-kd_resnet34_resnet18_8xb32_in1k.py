# PWKD + FitNet hints + KD, ResNet34 -> ResNet18 on ImageNet: the PWKD
# schedule of r34_r18_in1k.py with the hints of
# configs/kd/fitnet-kd_resnet34_resnet18_8xb32_in1k.py added to its KD
# term. Each connector maps to the teacher's full width (256 / 512 channels)
# and is sliced to the active width (64 / 128 channels at width 0.25), so
# one connector serves every stage.
_base_ = ['./r34_r18_in1k.py']

model = dict(
    distill_losses=dict(
        loss_fitnet_layer3=dict(
            type='FitNetLoss',
            loss_weight=1.0,
            student='backbone.layer3',
            teacher='backbone.layer3',
            connector=dict(
                type='ConvConnector', in_channels=256, out_channels=256)),
        loss_fitnet_layer4=dict(
            type='FitNetLoss',
            loss_weight=1.0,
            student='backbone.layer4',
            teacher='backbone.layer4',
            connector=dict(
                type='ConvConnector', in_channels=512, out_channels=512))))
